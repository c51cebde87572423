import Postgres

/// Writes many rows into one table with COPY, the fastest path PostgreSQL has.
///
/// PostgreSQL refuses `COPY FROM` into a table whose row-level security applies to the
/// current user (a login that is only a member of `reimburse_service`). For such a login the
/// rows go by COPY into a temporary staging table and then by one `INSERT ... SELECT`; the
/// table owner (who runs migrations) copies directly.
struct BulkTableWriter {
    let table: String
    let columns: [String]

    private var columnList: String { columns.joined(separator: ", ") }

    func write(_ rows: [[any PostgresEncodable]], on connection: PostgresConnection, staged: Bool) throws {
        guard !rows.isEmpty else { return }
        if !staged {
            try connection.copyIn("COPY \(table) (\(columnList)) FROM STDIN") { writer in
                for row in rows { try writer.row(values: row) }
            }
            return
        }
        let stage = "reimburse_stage_\(table)"
        // Only the written columns, with their types (domains included) and no constraints:
        // `LIKE` would copy NOT NULL of the columns left out (the identity `id` of skips and
        // proposals) without their identity default, and every staged row would fail.
        // Created once per session; looked up first rather than `IF NOT EXISTS`, whose
        // "already exists, skipping" NOTICE would come on every chunk.
        if try connection.queryValue(Bool.self, "SELECT pg_catalog.to_regclass($1) IS NULL", "pg_temp.\(stage)") == true {
            try connection.execute("""
                CREATE TEMPORARY TABLE \(stage) ON COMMIT DELETE ROWS
                    AS SELECT \(columnList) FROM \(table) WITH NO DATA
                """)
        }
        try connection.copyIn("COPY \(stage) (\(columnList)) FROM STDIN") { writer in
            for row in rows { try writer.row(values: row) }
        }
        try connection.execute("INSERT INTO \(table) (\(columnList)) SELECT \(columnList) FROM \(stage)")
        try connection.execute("TRUNCATE \(stage)")
    }

    /// True when row-level security filters this session's writes, so COPY must be staged.
    static func rowSecurityApplies(on connection: PostgresConnection) throws -> Bool {
        try connection.queryValue(Bool.self, "SELECT row_security_active('reimbursement')") ?? true
    }
}
