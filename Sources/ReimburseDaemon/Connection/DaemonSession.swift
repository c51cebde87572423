import Foundation
import Postgres

/// Opens the daemon's connections and sets, on each, the session settings the daemon relies
/// on, so that settings a DBA puts on the login or the database (`ALTER ROLE ... SET`) do not
/// change how it works. Then checks that the session can take writes.
///
/// Set with plain SQL after connecting, not with libpq's `options`, so that it also works
/// behind a session pooler (PgBouncer refuses unknown startup parameters). Every function is
/// schema-qualified: until `search_path` is set here, it is whatever the login was given.
enum DaemonSession {
    /// The settings, as (name, value) pairs for `set_config(name, value, false)`:
    /// - `search_path`: `pg_catalog` then the configured schema only, so a schema of someone
    ///   else's put first for the login cannot shadow a table or a function;
    /// - `statement_timeout` off: a chunk takes as long as its customers need; lock waits are
    ///   bounded by `lock_timeout` and a hung worker by its lease;
    /// - `lock_timeout`: the worker's bound (``JobWorker/lockTimeout(forLease:)``);
    /// - `idle_in_transaction_session_timeout` 60 s: a stuck worker's session is ended rather
    ///   than holding locks and vacuum back;
    /// - `default_transaction_isolation` read committed: the claim re-checks rows it waited on;
    /// - `row_security` on: a login under row-level security gets its policies, not an error;
    /// - `idle_session_timeout` off: an idle worker or listener waits for work, it is not hung;
    /// - `TimeZone` UTC: no date the daemon works out depends on the login's zone (a company's
    ///   "today" comes from `company.time_zone`, PRODUCT.md section 6).
    ///
    /// `default_transaction_read_only` is left alone on purpose: it is how a DBA, a failover
    /// tool or a demoted primary says "no writes here" (libpq's `target_session_attrs` reads
    /// it the same way), and the daemon waits instead of overriding it.
    static func settings(for configuration: DaemonConfiguration, applicationName: String, quotedSchema: String)
        -> [(String, String)]
    {
        [
            ("application_name", applicationName),
            ("search_path", "pg_catalog, \(quotedSchema)"),
            ("statement_timeout", "0"),
            ("lock_timeout", "\(JobWorker.lockTimeout(forLease: configuration.leaseDuration).milliseconds)ms"),
            ("idle_in_transaction_session_timeout", "60s"),
            ("default_transaction_isolation", "read committed"),
            ("row_security", "on"),
            ("idle_session_timeout", "0"),
            ("TimeZone", "UTC"),
        ]
    }

    /// A new connection named `name` plus a random suffix, unique per connection: the claim
    /// records it, and a job's holder is alive only while a session of that name exists.
    static func open(_ configuration: DaemonConfiguration, name: String) throws -> PostgresConnection {
        let connection = try PostgresConnection(conninfo: configuration.conninfo, applicationName: name)
        try prepare(connection, configuration: configuration, name: name)
        return connection
    }

    /// Sets the session up (again after a reconnect) and checks that it can take writes.
    /// Throws ``DatabaseConditionError`` for a read-only session or a standby.
    static func prepare(_ connection: PostgresConnection, configuration: DaemonConfiguration, name: String) throws {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let applicationName = "\(name.prefix(40)) #\(suffix)"
        let settings = settings(
            for: configuration, applicationName: applicationName,
            quotedSchema: try connection.quoteIdentifier(configuration.schema))
        for (setting, value) in settings {
            try connection.execute("SELECT pg_catalog.set_config($1, $2, false)", setting, value)
        }
        let state = try connection.execute(
            "SELECT pg_catalog.current_setting('transaction_read_only'), pg_catalog.pg_is_in_recovery()")
        if try state.first?.decode(Bool.self, at: 1) == true {
            throw DatabaseConditionError(condition: .inRecovery)
        }
        if try state.first?.decode(String.self, at: 0) == "on" {
            throw DatabaseConditionError(condition: .readOnly)
        }
    }
}
