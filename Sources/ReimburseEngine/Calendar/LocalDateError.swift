/// Why a text was not a date, or why date arithmetic left the supported years.
public enum LocalDateError: Error, Sendable, Hashable {
    /// Not of the form "YYYY-MM-DD".
    case notADate(text: String)
    /// Well-formed, but the day does not exist (2023-02-30) or the year is 0000.
    case noSuchDay(text: String)
    /// A computed date before 0001-01-01 or after 9999-12-31.
    case outOfRange(String)
}

extension LocalDateError: CustomStringConvertible {
    /// One line a person can act on.
    public var description: String {
        switch self {
        case .notADate(let text): return "\"\(text)\" is not a date of the form YYYY-MM-DD"
        case .noSuchDay(let text): return "\"\(text)\" is not a day of the calendar"
        case .outOfRange(let detail): return detail
        }
    }
}
