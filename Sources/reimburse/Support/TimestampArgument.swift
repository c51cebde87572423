import Foundation
import ReimburseEngine

/// Reads an instant such as `2024-04-01T06:00:00Z`, `2024-04-01T08:00:00+02:00` or a bare date
/// (midnight UTC). A zone is required for times: a job's start time must not depend on the
/// server's time zone setting.
enum TimestampArgument {
    static func parse(_ text: String?, option: String) throws -> Date? {
        guard let text else { return nil }
        if let date = try? DateArgument.parse(text, option: option) {
            return Date(timeIntervalSince1970: TimeInterval(date.daysSince1970) * 86_400)
        }
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
        ] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: normalized) { return try checkRange(date, text: text, option: option) }
        }
        throw CommandFailure.badData(
            "\(option): \"\(text)\" is not a time such as 2024-04-01T06:00:00Z or 2024-04-01T08:00:00+02:00")
    }

    /// The years the database accepts for `run_at` (constraint `reimbursement_job_run_at_range`):
    /// from 0001-01-01 00:00 UTC, before 10000-01-01 00:00 UTC.
    private static let earliest = Date(timeIntervalSince1970: TimeInterval(LocalDate.earliest.daysSince1970) * 86_400)
    private static let end = Date(timeIntervalSince1970: TimeInterval(LocalDate.latest.daysSince1970 + 1) * 86_400)

    private static func checkRange(_ date: Date, text: String, option: String) throws -> Date {
        guard date >= earliest, date < end else {
            throw CommandFailure.badData("\(option): \"\(text)\" is outside the years 0001 to 9999 (UTC)")
        }
        return date
    }
}
