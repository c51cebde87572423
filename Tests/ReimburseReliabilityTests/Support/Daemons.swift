import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Child daemons of one scenario, killed at the end whatever happened.
final class Daemons: @unchecked Sendable {
    let databaseURL: String
    let arguments: [String]
    private(set) var processes: [ChildProcess] = []
    /// Every process started, including those killed and replaced.
    private(set) var all: [ChildProcess] = []

    init(databaseURL: String, workers: Int = 2, chunkSize: Int = 5, exitWhenIdle: Bool = false) {
        self.databaseURL = databaseURL
        var arguments = ["serve", "--workers", String(workers), "--chunk-size", String(chunkSize)]
        if exitWhenIdle { arguments.append("--exit-when-idle") }
        self.arguments = arguments
    }

    @discardableResult
    func start(count: Int = 1) throws -> [ChildProcess] {
        var started: [ChildProcess] = []
        for _ in 0..<count {
            let process = try ChildProcess.reimburse(arguments, databaseURL: databaseURL)
            processes.append(process)
            all.append(process)
            started.append(process)
        }
        return started
    }

    /// SIGKILLs daemon `index`, reaps it, and starts a replacement in its slot.
    func killAndRestart(_ index: Int) async throws {
        let victim = processes[index]
        victim.signal(SIGKILL)
        let code = try await victim.wait(timeout: .seconds(10))
        if code != 128 + SIGKILL {
            Issue.record("daemon \(victim.pid) had already ended with \(code) before the kill:\n\(victim.tail())")
        }
        let replacement = try ChildProcess.reimburse(arguments, databaseURL: databaseURL)
        processes[index] = replacement
        all.append(replacement)
    }

    /// SIGKILLs every daemon (and restarts it) at random moments, but only while a job of
    /// `operation` is running, so each kill interrupts one (kills at random moments could all
    /// fall between jobs on a loaded machine: a chunk is a few ms). Stops after `kills` kills,
    /// 1,000 rounds, or when no job is unfinished. Returns the kills made.
    func killWhileRunning(
        operation: String, kills wanted: Int, random: inout SplitMix, database: TestDatabase
    ) async throws -> Int {
        var kills = 0
        var rounds = 0
        while kills < wanted && rounds < 1_000 {
            rounds += 1
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...150, using: &random)))
            let (running, unfinished) = try await database.withConnection { connection in
                (try connection.queryValue(Int.self, """
                    SELECT count(*) FROM reimbursement_job WHERE operation = $1 AND state = 'running'
                    """, operation) ?? 0, try Ledgers.unfinishedJobs(on: connection))
            }
            if unfinished == 0 { break }
            guard running > 0 else { continue }
            for index in processes.indices { try await killAndRestart(index) }
            kills += 1
        }
        return kills
    }

    /// SIGTERMs every running daemon and expects a graceful exit 0.
    func stopAll(timeout: Duration = .seconds(60)) async throws {
        // A daemon signalled before it installed its handlers dies of the signal (exit 143):
        // harmless before it claims anything, but not the graceful stop under test.
        for process in processes {
            try await waitUntil("daemon \(process.pid) to be ready", timeout: .seconds(30), interval: .milliseconds(20)) {
                process.output.contains("ready") || !process.isRunning
            }
        }
        for process in processes { process.signal(SIGTERM) }
        for process in processes {
            let code = try await process.wait(timeout: timeout)
            #expect(code == 0, "daemon \(process.pid) ended with \(code):\n\(process.tail())")
        }
    }

    /// Waits for every daemon to end by itself (`--exit-when-idle`), expecting exit 0.
    func waitAll(timeout: Duration = .seconds(180)) async throws {
        for process in processes {
            let code = try await process.wait(timeout: timeout)
            #expect(code == 0, "daemon \(process.pid) ended with \(code):\n\(process.tail())")
        }
    }

    /// Lines of all daemons' logs that contain `text`.
    func logLines(containing text: String) -> [String] {
        all.flatMap { $0.output.split(separator: "\n").filter { $0.contains(text) }.map(String.init) }
    }

    deinit {
        for process in all { process.cleanUp() }
    }
}

/// A conninfo or URI with another login.
func conninfo(_ base: String, user: String) -> String {
    if base.contains("://") {
        return base + (base.contains("?") ? "&" : "?") + "user=\(user)"
    }
    return "\(base) user=\(user)"
}

/// A private PostgreSQL for a scenario that restarts the server; destroyed at the end.
final class PrivateCluster: Sendable {
    let cluster: LocalPostgresCluster
    let database = "reimburse"
    private let thread = DedicatedThread(name: "private-cluster")

    private init(cluster: LocalPostgresCluster) { self.cluster = cluster }

    static func start() async throws -> PrivateCluster {
        let thread = DedicatedThread(name: "private-cluster-start")
        defer { thread.shutdown() }
        let cluster = try await thread.run {
            let cluster = try LocalPostgresCluster.start(prefix: "reimburse-rel")
            let admin = try PostgresConnection(conninfo: cluster.conninfo(), applicationName: "reliability")
            try admin.execute("CREATE DATABASE reimburse")
            return cluster
        }
        return PrivateCluster(cluster: cluster)
    }

    var conninfo: String { cluster.conninfo(database: database) }

    func restart(mode: String) async throws {
        let cluster = self.cluster
        try await thread.run { try cluster.restart(mode: mode) }
    }

    /// Runs `body` on a fresh connection on the cluster's thread.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let conninfo = self.conninfo
        return try await thread.run {
            let connection = try PostgresConnection(conninfo: conninfo, applicationName: "reliability")
            return try body(connection)
        }
    }

    func destroy() {
        cluster.destroy()
        thread.shutdown()
    }
}

/// A small deterministic generator, so a failing run can be repeated with its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Prints a figure of the suite, found in the test log by its prefix.
func figure(_ text: String) {
    print("[reliability] \(text)")
}
