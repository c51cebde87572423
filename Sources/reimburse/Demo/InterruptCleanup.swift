import Dispatch
import Foundation
import LocalPostgres
import Synchronization

/// Ctrl-C during the demo must not leave a PostgreSQL server running in /tmp: the server is
/// started in a session of its own (pg_ctl), so the terminal's SIGINT never reaches it. The
/// handler stops and removes the cluster, then exits with the shell's code for the signal.
final class InterruptCleanup: Sendable {
    private let cluster = Mutex<LocalPostgresCluster?>(nil)
    private let sources = Mutex<[RetainedSignalSource]>([])
    private let queue = DispatchQueue(label: "reimburse.demo.signals")

    /// Installs the handlers; from now on SIGINT and SIGTERM end the demo through here.
    func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in interrupted(by: signalNumber) }
            source.resume()
            let retained = RetainedSignalSource(source: source)
            sources.withLock { $0.append(retained) }
        }
    }

    func protect(_ cluster: LocalPostgresCluster) {
        self.cluster.withLock { $0 = cluster }
    }

    /// Called when the demo ends normally: the caller now decides what happens to the cluster.
    func release() {
        cluster.withLock { $0 = nil }
    }

    private func interrupted(by signalNumber: Int32) {
        Terminal.flushStandardOutput()
        let toDestroy = cluster.withLock { current -> LocalPostgresCluster? in
            defer { current = nil }
            return current
        }
        if let toDestroy {
            Terminal.writeError("\nreimburse: interrupted: stopping and removing the demo's PostgreSQL\n")
            toDestroy.destroy()
        }
        exit(128 + signalNumber)
    }
}

/// Keeps a signal source alive for the life of the process. It is only held after `resume()`,
/// never used again, so sharing the reference between threads cannot race.
private struct RetainedSignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
