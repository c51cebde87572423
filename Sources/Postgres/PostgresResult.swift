import CLibPQ

/// The rows of one command. It owns libpq's result and frees it when released; values are
/// read lazily, so a large result costs no copy until a row is decoded.
///
/// Not `Sendable`: a result belongs to the thread that ran its query. Decode it into Sendable
/// values before handing anything to another task.
public final class PostgresResult {
    private let pointer: OpaquePointer

    /// How many rows the command returned.
    public let rowCount: Int
    /// The column names in order.
    public let columnNames: [String]
    /// Rows changed by INSERT/UPDATE/DELETE/COPY (libpq's `PQcmdTuples`), 0 when not applicable.
    public let affectedRows: Int

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        rowCount = Int(PQntuples(pointer))
        let columnCount = Int(PQnfields(pointer))
        columnNames = (0..<columnCount).map { column in
            PQfname(pointer, Int32(column)).map { String(cString: $0) } ?? "?column?"
        }
        affectedRows = PQcmdTuples(pointer).flatMap { Int(String(cString: $0)) } ?? 0
    }

    deinit { PQclear(pointer) }

    public var rows: [PostgresRow] { (0..<rowCount).map { PostgresRow(result: self, index: $0) } }

    public subscript(row: Int) -> PostgresRow {
        precondition(row >= 0 && row < rowCount, "row \(row) out of range 0..<\(rowCount)")
        return PostgresRow(result: self, index: row)
    }

    /// The first row, for queries that return one.
    public var first: PostgresRow? { rowCount > 0 ? self[0] : nil }

    func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }

    func text(row: Int, column: Int) -> String? {
        precondition(column >= 0 && column < columnNames.count, "column \(column) out of range")
        if PQgetisnull(pointer, Int32(row), Int32(column)) == 1 { return nil }
        return String(cString: PQgetvalue(pointer, Int32(row), Int32(column)))
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow {
    let result: PostgresResult
    let index: Int

    /// The column's raw text, nil for NULL.
    public subscript(column: Int) -> String? { result.text(row: index, column: column) }

    public subscript(column: String) -> String? {
        guard let position = result.columnIndex(column) else { return nil }
        return result.text(row: index, column: position)
    }

    /// Decodes a column by position; NULL decodes only into an optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard let text = result.text(row: index, column: column) else { return try T.decodeNull() }
        do {
            return try T(postgresText: text)
        } catch var error as PostgresError {
            error.columnName = result.columnNames[column]
            throw error
        }
    }

    /// Decodes a column by name; a missing name is a programming error reported as such.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let position = result.columnIndex(column) else {
            throw PostgresError(kind: .decoding, message: "no column named \(column)")
        }
        return try decode(type, at: position)
    }
}
