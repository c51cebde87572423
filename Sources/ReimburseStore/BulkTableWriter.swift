import Postgres

/// Writes many rows into one table in one statement: COPY, the fastest path PostgreSQL has,
/// or one `INSERT ... SELECT ... FROM unnest(...)` of column arrays where COPY is refused.
///
/// PostgreSQL refuses `COPY FROM` into a table whose row-level security applies to the
/// current user (a login that is only a member of `reimburse_service`, as a production daemon
/// is). For such a login (`staged`) each column travels as one text array parameter and is
/// cast to its column's type in the statement, no temporary table. (The earlier staging table
/// cost four round trips per table and chunk, a `to_regclass` lookup, a COPY, the INSERT and a
/// TRUNCATE that gave the temporary table a new file every time.) A chunk sends all its tables'
/// INSERTs in one pipeline (``ChunkStatements``): one round trip per chunk, not per table. The
/// table owner (who runs migrations) copies directly.
struct BulkTableWriter {
    /// A written column and its SQL type, as the table declares it (domains included).
    struct Column {
        let name: String
        let type: String
    }

    let table: String
    let columns: [Column]

    init(table: String, columns: [(name: String, type: String)]) {
        self.table = table
        self.columns = columns.map { Column(name: $0.name, type: $0.type) }
    }

    private var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// `INSERT INTO table (a, b) SELECT s.a::t1, s.b::t2 FROM unnest($1::text[], $2::text[]) AS s(a, b)`:
    /// the text of each value is cast to the column's type, as COPY reads it.
    var insertFromArraysSQL: String {
        let casts = columns.map { "s.\($0.name)::\($0.type)" }.joined(separator: ", ")
        let arrays = columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(columnList)) SELECT \(casts) FROM unnest(\(arrays)) AS s(\(columnList))"
    }

    /// Writes `rows` (values in the order of ``columns``).
    func write(_ rows: [[any PostgresEncodable]], on connection: PostgresConnection, staged: Bool) throws {
        guard !rows.isEmpty else { return }
        if !staged {
            try connection.copyIn("COPY \(table) (\(columnList)) FROM STDIN") { writer in
                for row in rows { try writer.row(values: row) }
            }
            return
        }
        try connection.execute(insertFromArraysSQL, parameters: columnArrays(rows))
    }

    /// The parameters of ``insertFromArraysSQL``: one text array literal per column, each
    /// built in one pass straight into its bytes (``PostgresTextArray``).
    func columnArrays(_ rows: [[any PostgresEncodable]]) -> [any PostgresEncodable] {
        var arrays = [PostgresTextArray](repeating: PostgresTextArray(reservingBytes: rows.count * 12), count: columns.count)
        for row in rows {
            precondition(row.count == columns.count, "\(table): a row of \(row.count) values for \(columns.count) columns")
            for index in row.indices { arrays[index].append(row[index]) }
        }
        return arrays
    }

    /// True when row-level security filters this session's writes, so COPY cannot be used.
    static func rowSecurityApplies(on connection: PostgresConnection) throws -> Bool {
        try connection.queryValue(Bool.self, "SELECT row_security_active('reimbursement')") ?? true
    }
}
