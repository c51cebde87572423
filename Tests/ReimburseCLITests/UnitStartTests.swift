import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 1: the unit's ExecStartPre= and ExecStart= lines, run as systemd runs them,
/// against a database that comes up 12 s late (long enough to outlast the old behaviour, which
/// exited 69 at once, and short enough for CI): migrate waits, applies the migrations, and
/// the daemon starts and stops cleanly.
@Suite("the unit survives a slow database")
struct UnitStartTests {
    static let delay: Duration = .seconds(12)

    /// `Exec...=` lines of deploy/reimburse.service, split into words, the binary replaced
    /// by the built one (as deploy/check-unit does).
    static func commandLine(_ key: String) throws -> [String] {
        let unit = try String(contentsOfFile: "\(TestServer.repositoryRoot)/deploy/reimburse.service", encoding: .utf8)
        let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("\(key)=") }, "no \(key)= in the unit")
        var words = line.dropFirst(key.count + 1).split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/bin/reimburse", "\(line)")
        words[0] = try ReimburseBinary.require()
        return words
    }

    /// TimeoutStartSec= of the unit, in seconds, and the wait of its ExecStartPre=: the wait
    /// must end before systemd kills the start, or the restart loop would see kills, not exit 69.
    @Test func theWaitFitsInsideTheStartTimeout() throws {
        let unit = try String(contentsOfFile: "\(TestServer.repositoryRoot)/deploy/reimburse.service", encoding: .utf8)
        let timeout = try #require(unit.split(separator: "\n").first { $0.hasPrefix("TimeoutStartSec=") })
        #expect(timeout == "TimeoutStartSec=5min")
        let migrate = try Self.commandLine("ExecStartPre")
        let wait = try #require(migrate.first { $0.hasPrefix("--wait-for-database=") }, "\(migrate)")
        let seconds = try #require(Int(wait.dropFirst("--wait-for-database=".count)))
        #expect(seconds >= 60 && seconds < 300, "\(wait)")
    }

    @Test func execStartPreWaitsForALateDatabaseThenServeStarts() async throws {
        let cluster = try LocalPostgresCluster.start(prefix: "reimburse-unit")
        defer { cluster.destroy() }
        try cluster.stopServer()
        let environment = ["DATABASE_URL": cluster.conninfo(database: "postgres")]
        let migrate = try Self.commandLine("ExecStartPre")
        let started = ContinuousClock.now
        let pre = try ChildProcess(migrate[0], Array(migrate.dropFirst()),
                                   environment: ChildProcess.baseEnvironment.merging(environment) { $1 })
        try await Task.sleep(for: Self.delay)
        try cluster.startStoppedServer()
        let migrated = try await pre.wait(timeout: .seconds(60))
        #expect(migrated.exitCode == 0, "\(migrated)")
        #expect(ContinuousClock.now - started >= Self.delay)
        #expect(migrated.standardOutput.contains("applied 0001_companies_and_customers.sql"), "\(migrated)")
        #expect(migrated.standardError.contains("waiting for the database"), "\(migrated)")

        let serve = try Self.commandLine("ExecStart")
        let daemon = try ChildProcess(serve[0], Array(serve.dropFirst()),
                                      environment: ChildProcess.baseEnvironment.merging(environment) { $1 })
        #expect(try await daemon.waitForOutput(containing: "ready", onStandardError: true, timeout: .seconds(30)),
                "\(daemon.standardError)")
        daemon.send(SIGTERM)
        let stopped = try await daemon.wait(timeout: .seconds(30))
        #expect(stopped.exitCode == 0, "\(stopped)")
    }

    /// Without a limit the wait goes on; a refused login is not waited for.
    @Test func aRefusedLoginIsNotWaitedFor() async throws {
        let database = try await TestServer.database()
        let started = ContinuousClock.now
        let outcome = try await Reimburse.run(
            "migrate", "--wait-for-database", "--database-url", "\(database.conninfo) user=no_such_role_19")
        #expect(outcome.exitCode == 78, "\(outcome)")
        #expect(ContinuousClock.now - started < .seconds(10))
        let bounded = try await Reimburse.run(
            "migrate", "--wait-for-database=2", "--database-url", "host=/nonexistent dbname=x")
        #expect(bounded.exitCode == 69, "\(bounded)")
    }
}
