import Foundation

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
            if let date = formatter.date(from: normalized) { return date }
        }
        throw CommandFailure.badData(
            "\(option): \"\(text)\" is not a time such as 2024-04-01T06:00:00Z or 2024-04-01T08:00:00+02:00")
    }
}
