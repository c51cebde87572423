import ReimburseEngine

/// Dates from the command line are read here, before any connection, so that a typo is
/// reported as the person's mistake (exit 65) rather than as whatever the database says.
enum DateArgument {
    static func parse(_ text: String?, option: String) throws -> LocalDate? {
        guard let text else { return nil }
        do {
            return try LocalDate(parsing: text)
        } catch {
            throw CommandFailure.badData("\(option): \(error.description)")
        }
    }
}
