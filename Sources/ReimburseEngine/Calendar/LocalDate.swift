/// A calendar date without time or time zone, as PostgreSQL's `date`.
///
/// Posting and due dates are legal dates, not instants: converting through `Date` and a time
/// zone can shift them by a day. A plain day count since 1970-01-01 in the proleptic
/// Gregorian calendar (the calendar PostgreSQL uses) compares, hashes and adds without any
/// calendar object. Years are limited to 1...9999 so that the text is always "YYYY-MM-DD".
public struct LocalDate: Sendable, Hashable, Comparable {
    /// Days since 1970-01-01 (negative before). Stable across time zones, so it is the value
    /// that is compared and stored.
    public let daysSince1970: Int

    /// The first representable date, 0001-01-01.
    public static let earliest = LocalDate(uncheckedDaysSince1970: CivilCalendar.days(year: 1, month: 1, day: 1))

    /// The last representable date, 9999-12-31.
    public static let latest = LocalDate(uncheckedDaysSince1970: CivilCalendar.days(year: 9999, month: 12, day: 31))

    init(uncheckedDaysSince1970 days: Int) {
        self.daysSince1970 = days
    }

    /// A date from a day count, or `nil` outside 0001-01-01...9999-12-31.
    public init?(daysSince1970 days: Int) {
        guard days >= LocalDate.earliest.daysSince1970, days <= LocalDate.latest.daysSince1970 else { return nil }
        self.daysSince1970 = days
    }

    /// A date from its parts, or `nil` when the day does not exist (2023-02-29, 1900-02-29)
    /// or the year is outside 1...9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= CivilCalendar.daysIn(month: month, year: year)
        else { return nil }
        self.daysSince1970 = CivilCalendar.days(year: year, month: month, day: day)
    }

    /// Earlier dates sort first, as in SQL.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        lhs.daysSince1970 < rhs.daysSince1970
    }
}
