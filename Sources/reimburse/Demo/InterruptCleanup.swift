import Dispatch
import Foundation
import LocalPostgres
import Synchronization

/// Ctrl-C during the demo must not leave a PostgreSQL server running in /tmp: the server is
/// started in a session of its own (pg_ctl), so the terminal's SIGINT never reaches it. The
/// handler stops and removes the cluster, then exits with the shell's code for the signal.
///
/// Stopping the server makes the demo's own queries fail at the same moment; the demo then
/// calls ``parkIfInterrupted()`` instead of reporting that failure, so exactly one thread ends
/// the process, after the cluster is gone.
final class InterruptCleanup: Sendable {
    private struct State {
        var cluster: LocalPostgresCluster?
        var interrupted = false
    }

    private let state = Mutex(State())
    private let sources = Mutex<[RetainedSignalSource]>([])
    private let queue = DispatchQueue(label: "reimburse.demo.signals")

    /// Installs the handlers; from now on SIGINT, SIGTERM, SIGHUP (terminal closed) and
    /// SIGPIPE (`reimburse demo | head`) end the demo through here.
    func install() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in interrupted(by: signalNumber) }
            source.resume()
            let retained = RetainedSignalSource(source: source)
            sources.withLock { $0.append(retained) }
        }
    }

    func protect(_ cluster: LocalPostgresCluster) {
        state.withLock { $0.cluster = cluster }
    }

    /// The demo is over: the caller now decides what happens to the cluster. Parks when an
    /// interrupt came first.
    func release() {
        let interrupted = state.withLock { state -> Bool in
            if !state.interrupted { state.cluster = nil }
            return state.interrupted
        }
        if interrupted { parkForever() }
    }

    /// Called before reporting an error: when the error is the interrupt's doing, the handler
    /// owns the exit.
    func parkIfInterrupted() {
        if state.withLock({ $0.interrupted }) { parkForever() }
    }

    private func parkForever() -> Never {
        while true { sleep(60) }
    }

    private func interrupted(by signalNumber: Int32) {
        let toDestroy = state.withLock { state -> LocalPostgresCluster? in
            state.interrupted = true
            defer { state.cluster = nil }
            return state.cluster
        }
        Terminal.writeError(signalNumber == SIGPIPE ? "\nreimburse: output closed" : "\nreimburse: interrupted")
        if let toDestroy {
            Terminal.writeError(": stopping and removing the demo's PostgreSQL")
            toDestroy.destroy()
        }
        Terminal.writeError("\n")
        Terminal.flushStandardOutput()
        exit(128 + signalNumber)
    }
}

/// Keeps a signal source alive for the life of the process. It is only held after `resume()`,
/// never used again, so sharing the reference between threads cannot race.
private struct RetainedSignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
