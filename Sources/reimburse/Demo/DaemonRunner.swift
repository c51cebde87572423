import Logging
import Postgres
import ReimburseDaemon

/// Runs the real daemon, exactly as `reimburse serve --exit-when-idle` does, until no job is
/// runnable: the demo shows the product, not a stand-in.
enum DaemonRunner {
    static func runUntilIdle(conninfo: String?, logger: Logger) async throws {
        var configuration = DaemonConfiguration(conninfo: conninfo, workers: 2, exitWhenIdle: true)
        // Short polls: an idle worker notices the other's last job ending within a moment.
        configuration.pollInterval = .milliseconds(250)
        // The daemon's sessions search only pg_catalog and its schema: the one the demo
        // migrated into, which is the named database's own search_path schema (`demo` in
        // `options=-csearch_path=demo`), not necessarily public.
        configuration.schema = try await currentSchema(conninfo)
        try await ReimbursementDaemon(configuration: configuration, logger: logger).run()
    }

    private static func currentSchema(_ conninfo: String?) async throws -> String {
        let thread = DedicatedThread(name: "reimburse-demo-schema")
        defer { thread.shutdown() }
        return try await thread.run {
            let connection = try PostgresConnection(conninfo: conninfo, applicationName: "reimburse demo")
            return try connection.queryValue(String?.self, "SELECT current_schema()").flatMap { $0 } ?? "public"
        }
    }
}
