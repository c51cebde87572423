public import Postgres
public import ReimburseEngine

/// Amounts travel as exact decimal text in both directions: no digit passes through a
/// binary floating point between the database and the engine.
extension Money: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }

    public init(postgresText: String) throws {
        do {
            self = try Money(parsing: postgresText)
        } catch {
            throw PostgresError(kind: .decoding, message: "amount \(postgresText) does not fit: \(error)")
        }
    }
}

extension LocalDate: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }

    public init(postgresText: String) throws {
        do {
            self = try LocalDate(parsing: postgresText)
        } catch {
            throw PostgresError(kind: .decoding, message: "date \(postgresText) is out of range: \(error)")
        }
    }
}
