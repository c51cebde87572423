extension LocalDate {
    /// The date a number of days later (earlier when negative): a vendor invoice is due on the
    /// posting date plus the company's payment days. Throws rather than wrapping when the
    /// result leaves 0001...9999, because a misconfigured payment term must fail the job with
    /// a message, not produce a nonsense due date.
    public func adding(days: Int) throws(LocalDateError) -> LocalDate {
        let (target, overflow) = daysSince1970.addingReportingOverflow(days)
        guard !overflow, let date = LocalDate(daysSince1970: target) else {
            throw LocalDateError.outOfRange("\(self) plus \(days) days is outside 0001-01-01...9999-12-31")
        }
        return date
    }

    /// Days from `other` to this date, for tests and reports that speak in day counts.
    public func days(since other: LocalDate) -> Int {
        daysSince1970 - other.daysSince1970
    }
}
