public import Postgres
public import ReimburseEngine

/// Codes travel as their text, byte for byte: nothing normalises them between the database
/// and the engine, so two keys PostgreSQL keeps apart stay apart.
extension Code: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { text }

    public init(postgresText: String) throws {
        self.init(postgresText)
    }
}
