import Logging
import ReimburseDaemon

/// Runs the real daemon, exactly as `reimburse serve --exit-when-idle` does, until no job is
/// runnable: the demo shows the product, not a stand-in.
enum DaemonRunner {
    /// - Parameter schema: where the demo migrated (the demo connection's `current_schema()`:
    ///   `demo` in `options=-csearch_path=demo`, not necessarily public). The daemon's sessions
    ///   search only `pg_catalog` and that schema, whatever the login's `search_path` says.
    static func runUntilIdle(conninfo: String?, schema: String, logger: Logger) async throws {
        var configuration = DaemonConfiguration(conninfo: conninfo, workers: 2, exitWhenIdle: true)
        configuration.schema = schema
        // Short polls: an idle worker notices the other's last job ending within a moment.
        configuration.pollInterval = .milliseconds(250)
        try await ReimbursementDaemon(configuration: configuration, logger: logger).run()
    }
}
