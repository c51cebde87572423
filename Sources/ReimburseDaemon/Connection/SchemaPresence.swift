import Postgres

/// Whether the migrations were run in the daemon's schema, checked before the daemon claims
/// anything: without it a daemon would log "ready" and retry for ever.
enum SchemaPresence {
    /// SQLSTATEs of a statement that names a table (42P01), column (42703) or function (42883)
    /// the database does not have: the schema is older than the binary.
    static let outdatedSchemaStates: Set<String> = ["42P01", "42703", "42883"]

    /// Throws ``DaemonConnectionError/schemaMissing(schema:)`` when `schema` has no
    /// `reimbursement_job` table. Schema-qualified, so it works whatever the session's
    /// `search_path` is.
    static func require(schema: String, on connection: PostgresConnection) throws {
        let present = try connection.queryValue(
            Bool.self,
            "SELECT pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '.reimbursement_job') IS NOT NULL",
            schema)
        if present != true { throw DaemonConnectionError.schemaMissing(schema: schema) }
    }

    /// The daemon-stopping error for a statement that failed on a missing table, column or
    /// function; nil for any other error.
    static func outdated(_ error: any Error, schema: String) -> DaemonConnectionError? {
        guard let error = error as? PostgresError, let state = error.sqlState,
              outdatedSchemaStates.contains(state)
        else { return nil }
        return .schemaOutdated(schema: schema, error: error.message)
    }
}
