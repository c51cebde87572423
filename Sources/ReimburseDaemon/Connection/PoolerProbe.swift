import Postgres

/// Tells a transaction (or statement) pooler in front of the database from a direct
/// connection or session pooling.
///
/// The daemon needs one server session per connection for as long as the connection lasts:
/// a claim records that session as the job's holder, and LISTEN waits on it. A transaction
/// pooler hands each transaction whatever server connection is free. The probe runs a few
/// transactions on two connections at once and compares `pg_backend_pid()`: with a session
/// of its own, each connection always sees one pid, and never the other's. A pooler shows
/// itself by a connection seeing two pids, or by the second connection getting the server the
/// first just let go of (PgBouncer reuses the most recently freed one), or by one connection's
/// transactions in a row moving between servers (round-robin reuse). None can happen without
/// one, so a direct connection or session pooling is never refused.
enum PoolerProbe {
    static let rounds = 4

    /// True when `first` (an open connection) goes through a transaction pooler. Opens one more
    /// connection with the same settings for the time of the probe.
    static func isTransactionPooled(_ first: PostgresConnection, conninfo: String?) throws -> Bool {
        let second = try PostgresConnection(conninfo: conninfo, applicationName: "reimburse-pooler-probe")
        var seenByFirst = Set<Int32>()
        var seenBySecond = Set<Int32>()
        let sql = "SELECT pg_catalog.pg_backend_pid()"
        // Alternating: a pooler that hands out the server freed last (PgBouncer's default)
        // gives the second connection the first one's server.
        for _ in 0..<rounds {
            if let pid = try first.queryValue(Int32.self, sql) { seenByFirst.insert(pid) }
            if let pid = try second.queryValue(Int32.self, sql) { seenBySecond.insert(pid) }
        }
        // In a row: a pooler that hands out the server freed first (server_round_robin) keeps
        // two alternating connections apart, but moves one connection's consecutive
        // transactions from server to server.
        for _ in 0..<rounds {
            if let pid = try first.queryValue(Int32.self, sql) { seenByFirst.insert(pid) }
        }
        for _ in 0..<rounds {
            if let pid = try second.queryValue(Int32.self, sql) { seenBySecond.insert(pid) }
        }
        return seenByFirst.count > 1 || seenBySecond.count > 1 || !seenByFirst.isDisjoint(with: seenBySecond)
    }
}

/// The check `serve` makes before it starts (the daemon makes it again at its first connection,
/// for a database that was down at start).
public enum DaemonConnectionCheck {
    /// Throws ``DaemonConnectionError`` when `conninfo` leads through a transaction pooler, and
    /// the connection error when the database cannot be reached.
    /// Throws ``DaemonConnectionError/schemaMissing(schema:)`` when `schema` holds no Reimburse
    /// schema (the migrations were never run there).
    public static func requireSessionPerConnection(conninfo: String?, schema: String = "public") throws {
        let first = try PostgresConnection(conninfo: conninfo, applicationName: "reimburse serve")
        if try PoolerProbe.isTransactionPooled(first, conninfo: conninfo) { throw DaemonConnectionError.transactionPooler }
        try SchemaPresence.require(schema: schema, on: first)
    }
}

/// `serve` cannot work through this connection; said in one line, and the daemon does not start.
public struct DaemonConnectionError: Error, CustomStringConvertible, Sendable {
    public let description: String

    static let transactionPooler = DaemonConnectionError(description:
        "serve needs a direct connection to PostgreSQL or a pooler in session mode: this connection goes through "
            + "a transaction pooler (the server session changes between transactions); point serve at the server, "
            + "or at a session-mode pool (PgBouncer pool_mode=session). enqueue, status, report and verify work "
            + "through either.")

    /// The migrations were not run in `schema`: the daemon would find no queue to claim from.
    static func schemaMissing(schema: String) -> DaemonConnectionError {
        DaemonConnectionError(description:
            "the database has no Reimburse schema in schema \"\(schema)\" (no table reimbursement_job): "
                + "run 'reimburse migrate' first (or point --schema / REIMBURSE_SCHEMA at the schema that holds it)")
    }

    /// The schema lacks a table, column or function this binary uses: a migration is missing.
    static func schemaOutdated(schema: String, error: String) -> DaemonConnectionError {
        DaemonConnectionError(description:
            "the Reimburse schema in \"\(schema)\" is older than this program (\(error)): run 'reimburse migrate'")
    }
}
