public import Foundation

/// A Swift type that can be read from a column in PostgreSQL's text format.
public protocol PostgresDecodable {
    init(postgresText: String) throws
    /// What a SQL NULL decodes to; by default NULL is an error, except for optionals.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws -> Self {
        throw PostgresError(kind: .decoding, message: "unexpected NULL for \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText: String) throws { self = .some(try Wrapped(postgresText: postgresText)) }
    public static func decodeNull() throws -> Self { .none }
}

extension String: PostgresDecodable {
    public init(postgresText: String) throws { self = postgresText }
}

private func decodingError<T>(_ text: String, _ type: T.Type) -> PostgresError {
    PostgresError(kind: .decoding, message: "cannot decode '\(text.prefix(80))' as \(type)")
}

/// Every integer type reads its text the same way, and rejects anything but plain digits.
extension PostgresDecodable where Self: FixedWidthInteger {
    public init(postgresText: String) throws {
        guard let value = Self(postgresText) else { throw decodingError(postgresText, Self.self) }
        self = value
    }
}

extension Int: PostgresDecodable {}

extension Int64: PostgresDecodable {}

extension Int32: PostgresDecodable {}

extension Int16: PostgresDecodable {}

extension Bool: PostgresDecodable {
    public init(postgresText: String) throws {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(postgresText, Bool.self)
        }
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText: String) throws {
        guard let value = UUID(uuidString: postgresText) else { throw decodingError(postgresText, UUID.self) }
        self = value
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` in the ISO style the connection asks for.
    public init(postgresText: String) throws {
        guard let value = PostgresTimestampFormat.parse(postgresText) else {
            throw decodingError(postgresText, Date.self)
        }
        self = value
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal; NULL elements decode as the element's NULL.
    public init(postgresText: String) throws {
        guard let elements = PostgresArrayLiteral.parse(postgresText) else {
            throw decodingError(postgresText, [Element].self)
        }
        self = try elements.map { text in
            guard let text else { return try Element.decodeNull() }
            return try Element(postgresText: text)
        }
    }
}

/// A calendar date without a time zone, as PostgreSQL's `date`.
public struct PostgresDate: PostgresEncodable, PostgresDecodable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init(postgresText: String) throws {
        let parts = postgresText.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { throw decodingError(postgresText, PostgresDate.self) }
        self.init(year: year, month: month, day: day)
    }

    public var postgresText: String? { description }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

enum PostgresArrayLiteral {
    /// Parses `{a,"b c",NULL}` into its elements (nil for NULL). Nested arrays are not needed
    /// by this project and are rejected.
    static func parse(_ text: String) -> [String?]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        var elements: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index < end {
            if scalars[index] == "\"" {
                var value = String.UnicodeScalarView()
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    guard index < end else { return nil }
                    value.append(scalars[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1
                elements.append(String(value))
            } else {
                var value = String.UnicodeScalarView()
                while index < end, scalars[index] != "," {
                    if scalars[index] == "{" { return nil }
                    value.append(scalars[index])
                    index += 1
                }
                let element = String(value)
                elements.append(element == "NULL" ? nil : element)
            }
            if index < end {
                guard scalars[index] == "," else { return nil }
                index += 1
            }
        }
        return elements
    }
}

enum PostgresTimestampFormat {
    static func format(_ date: Date) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) "
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
            + ".\(pad(micros, 6))+00"
    }

    /// Parses `2026-11-25 17:51:53.123456+01:30` (ISO DateStyle output of timestamptz).
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
              let day = number(8..<10), bytes[10] == 32 || bytes[10] == 84,
              let hour = number(11..<13), bytes[13] == 58, let minute = number(14..<16), bytes[16] == 58,
              let second = number(17..<19)
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale: Int64 = 100_000
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                micros += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            let sign: Int64 = bytes[index] == 45 ? -1 : 1
            guard bytes[index] == 43 || bytes[index] == 45, let offsetHours = number(index + 1..<index + 3)
            else { return nil }
            index += 3
            var offsetMinutes: Int64 = 0
            if index < bytes.count, bytes[index] == 58, let minutes = number(index + 1..<index + 3) {
                offsetMinutes = minutes
                index += 3
            }
            if index < bytes.count, bytes[index] == 58, let extra = number(index + 1..<index + 3) {
                offsetSeconds = extra
                index += 3
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60 + offsetSeconds)
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Howard Hinnant's days-from-civil algorithm: exact for the proleptic Gregorian calendar.
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Double: PostgresDecodable {
    /// For durations and ratios only; amounts are exact decimals (``PostgresNumeric``).
    public init(postgresText: String) throws {
        guard let value = Double(postgresText) else { throw decodingError(postgresText, Double.self) }
        self = value
    }
}
