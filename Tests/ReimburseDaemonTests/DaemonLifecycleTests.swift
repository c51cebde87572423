import Foundation
import Postgres
import ReimburseDaemon
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// What systemd sees of the daemon: READY once it listens, a watchdog that keeps beating
    /// (also while the database is away, which the unit treats as the daemon's own business to
    /// wait for), STOPPING on a graceful stop.
    @Suite("Lifecycle")
    struct Lifecycle {
        @Test func readyWatchdogAndStoppingReachSystemd() async throws {
            let database = try await TestServer.database()
            let inbox = try NotifyInbox()
            let daemon = ReimbursementDaemon(
                configuration: Daemon.configuration(database.conninfo, instance: "systemd", workers: 1),
                logger: Daemon.logger, notifier: SystemdNotifier(environment: inbox.environment(watchdog: .milliseconds(250))))
            let run = DaemonRun(task: Task { try await daemon.run() })
            let messages = try await inbox.collect(for: .milliseconds(1500))
            try await run.stop()
            let all = inbox.drain().map(\.text)
            let watchdogs = messages.filter { $0.text.contains("WATCHDOG=1") }.count
            let ready = all.firstIndex { $0.contains("READY=1") }
            let firstStatus = all.firstIndex { $0.contains("workers busy") }
            let stopping = all.firstIndex { $0.contains("STOPPING=1") }
            print("systemd: \(watchdogs) watchdog pings in 1.5 s (interval 250 ms); READY at message \(ready ?? -1), "
                  + "STOPPING at \(stopping ?? -1) of \(all.count)")
            #expect(ready != nil && firstStatus != nil && ready! < firstStatus!, "READY=1 comes once the daemon listens")
            #expect(watchdogs >= 3)
            #expect(stopping != nil && stopping! >= all.count - 2, "STOPPING=1 comes last (with a timeout extension): \(all.suffix(6))")
        }

        /// The database is unreachable: no READY, but the watchdog keeps beating while the daemon
        /// waits for it, and a stop still returns promptly.
        @Test func watchdogKeepsBeatingWhileTheDatabaseIsAway() async throws {
            let inbox = try NotifyInbox()
            let unreachable = "host=/nonexistent-reimburse-socket-folder port=5432 dbname=nothing user=nobody"
            let daemon = ReimbursementDaemon(
                configuration: Daemon.configuration(unreachable, instance: "away", workers: 2),
                logger: Daemon.logger, notifier: SystemdNotifier(environment: inbox.environment(watchdog: .milliseconds(500))))
            let run = DaemonRun(task: Task { try await daemon.run() })
            let messages = try await inbox.collect(for: .seconds(3))
            let stopAsked = ContinuousClock.now
            try await run.stop(within: .seconds(5))
            let stopTook = ContinuousClock.now - stopAsked
            let beats = messages.filter { $0.text.contains("WATCHDOG=1") }.map(\.at)
            let widestGap = zip(beats, beats.dropFirst()).map { $1 - $0 }.max() ?? .seconds(3)
            print("database away: \(beats.count) watchdog pings in 3 s (interval 500 ms), widest gap \(widestGap); "
                  + "stop took \(stopTook)")
            #expect(!messages.contains { $0.text.contains("READY=1") })
            #expect(messages.contains { $0.text.contains("waiting for the database") })
            #expect(beats.count >= 3, "systemd would kill a daemon that only waits for its database")
            #expect(widestGap < .seconds(2))
        }
    }
}
