import Logging
import ReimburseDaemon

/// Runs the real daemon, exactly as `reimburse serve --exit-when-idle` does, until no job is
/// runnable: the demo shows the product, not a stand-in.
enum DaemonRunner {
    static func runUntilIdle(conninfo: String?, logger: Logger) async throws {
        var configuration = DaemonConfiguration(conninfo: conninfo, workers: 2, exitWhenIdle: true)
        // Short polls: an idle worker notices the other's last job ending within a moment.
        configuration.pollInterval = .milliseconds(250)
        try await ReimbursementDaemon(configuration: configuration, logger: logger).run()
    }
}
