public import Foundation

/// A Swift value that can be bound as a query parameter. Values travel in PostgreSQL's text
/// format, so the server parses them against the parameter's inferred type: SQL is never
/// built from values.
public protocol PostgresEncodable: Sendable {
    /// The parameter's text, or nil for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    public var postgresText: String? { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension UUID: PostgresEncodable {
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    /// Sent as an ISO 8601 timestamp in UTC with microseconds, the precision of `timestamptz`.
    public var postgresText: String? { PostgresTimestampFormat.format(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? {
        switch self {
        case .none: return nil
        case .some(let value): return value.postgresText
        }
    }
}

/// Arrays travel as PostgreSQL array literals (`{"a","b"}`), with every element quoted and
/// escaped, so any text survives, including quotes, backslashes, commas and braces.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String? {
        var literal = PostgresTextArray(reservingBytes: count * 8)
        for element in self { literal.append(text: element.postgresText) }
        return literal.postgresText
    }
}

/// A value whose exact text is bound as is: for `numeric` amounts produced by a money type
/// from another layer, so that no digit passes through binary floating point.
public struct PostgresNumeric: PostgresEncodable, PostgresDecodable, Hashable, CustomStringConvertible {
    /// The exact decimal text, as PostgreSQL prints or reads a `numeric`.
    public let text: String

    /// Accepts only plain decimal text (optional sign, digits, optional fraction), so that
    /// nothing but a number is ever bound where a numeric is expected.
    public init?(_ text: String) {
        guard Self.isPlainDecimal(text) else { return nil }
        self.text = text
    }

    public init(postgresText: String) throws {
        guard let value = PostgresNumeric(postgresText) else {
            throw PostgresError(kind: .decoding, message: "not an exact decimal: \(postgresText)")
        }
        self = value
    }

    public var postgresText: String? { text }
    public var description: String { text }

    static func isPlainDecimal(_ text: String) -> Bool {
        var digits = 0
        var seenPoint = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                if index != 0 { return false }
            case UInt8(ascii: "."):
                if seenPoint { return false }
                seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
            default:
                return false
            }
        }
        return digits > 0
    }
}
