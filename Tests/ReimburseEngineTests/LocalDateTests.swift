import ReimburseEngine
import Testing

@Suite("LocalDate is a proleptic Gregorian day count with exact YYYY-MM-DD text")
struct LocalDateTests {
    @Test(arguments: [
        ("1970-01-01", 0),
        ("2000-02-29", 11_016),
        ("2000-03-01", 11_017),
        ("2026-03-31", 20_543),
        ("1900-03-01", -25_508),
        ("0001-01-01", -719_162),
        ("9999-12-31", 2_932_896),
    ])
    func knownDays(text: String, days: Int) throws {
        let date = try LocalDate(parsing: text)
        #expect(date.daysSince1970 == days)
        #expect(date.description == text)
    }

    @Test func leapYears() {
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)  // divisible by 400
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)  // divisible by 100 only
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(LocalDate(exactly: "1900-02-29") == nil)
        #expect(throws: LocalDateError.noSuchDay(text: "2023-02-29")) { try LocalDate(parsing: "2023-02-29") }
    }

    @Test(arguments: [
        "2026-3-31", "2026/03/31", "20260331", "2026-13-01", "2026-00-10", "2026-04-31", "0000-01-01",
        " 2026-03-31", "2026-03-31 ", "2026-03-31T00:00", "12026-03-31", "", "abcd-ef-gh", "-001-01-01",
    ])
    func rejectsOtherText(text: String) {
        #expect(LocalDate(exactly: text) == nil)
    }

    @Test(arguments: [
        ("2025-12-31", 1, "2026-01-01"),
        ("2024-02-28", 1, "2024-02-29"),
        ("2023-02-28", 1, "2023-03-01"),
        ("1900-02-28", 1, "1900-03-01"),
        ("2000-02-28", 1, "2000-02-29"),
        ("2026-03-31", 14, "2026-04-14"),
        ("2026-03-31", 365, "2027-03-31"),
        ("2024-01-01", 366, "2025-01-01"),
        ("2026-01-01", -1, "2025-12-31"),
        ("2026-03-31", 0, "2026-03-31"),
        ("1999-12-31", 36_525, "2099-12-31"),
    ])
    func addsDays(start: String, days: Int, expected: String) throws {
        #expect(try LocalDate(parsing: start).adding(days: days).description == expected)
    }

    @Test func refusesDatesBeyondTheCalendar() throws {
        #expect(throws: LocalDateError.self) { try LocalDate.latest.adding(days: 1) }
        #expect(throws: LocalDateError.self) { try LocalDate.earliest.adding(days: -1) }
        #expect(throws: LocalDateError.self) { try LocalDate.earliest.adding(days: Int.max) }
        #expect(LocalDate(daysSince1970: 2_932_897) == nil)
    }

    @Test func everyDayOfFourCenturiesRoundTrips() throws {
        var date = try LocalDate(parsing: "1800-01-01")
        let end = try LocalDate(parsing: "2200-12-31")
        var previous = date.components
        while date < end {
            let next = try date.adding(days: 1)
            let parts = next.components
            // Consecutive days: same month and day + 1, or the first of the next month.
            let sameMonth = parts.year == previous.year && parts.month == previous.month && parts.day == previous.day + 1
            let nextMonth = parts.day == 1
                && ((parts.year == previous.year && parts.month == previous.month + 1)
                    || (parts.year == previous.year + 1 && parts.month == 1 && previous.month == 12))
            if !(sameMonth || nextMonth) || LocalDate(year: parts.year, month: parts.month, day: parts.day) != next
                || LocalDate(exactly: next.description) != next
            {
                Issue.record("calendar breaks at \(next)")
            }
            date = next
            previous = parts
        }
        #expect(try LocalDate(parsing: "2200-12-31").days(since: LocalDate(parsing: "1800-01-01")) == 146_461)
    }

    @Test func ordersByDay() throws {
        #expect(try LocalDate(parsing: "1999-12-31") < LocalDate(parsing: "2000-01-01"))
        #expect(try LocalDate(parsing: "2026-03-31").year == 2026)
        #expect(try LocalDate(parsing: "2026-03-31").month == 3)
        #expect(try LocalDate(parsing: "2026-03-31").day == 31)
    }
}
