/// Why a text was not an exact amount, or why an amount left the `numeric(24,6)` range.
///
/// The cases keep the offending text so that a failed job can tell a person which value to
/// fix, instead of a bare "invalid number".
public enum MoneyError: Error, Sendable, Hashable {
    /// Not the plain decimal form PostgreSQL prints for `numeric` (digits, an optional
    /// leading minus, an optional decimal point followed by digits).
    case notADecimalNumber(text: String)
    /// More than 6 decimal places that are not all zeros: storing it would round.
    case tooManyDecimals(text: String)
    /// More than 18 significant integer digits: beyond `numeric(24,6)`.
    case tooManyIntegerDigits(text: String)
    /// An arithmetic result beyond `numeric(24,6)`; the text says which operation.
    case outOfRange(String)
}

extension MoneyError: CustomStringConvertible {
    /// One line a person can act on, for job errors and the command line.
    public var description: String {
        switch self {
        case .notADecimalNumber(let text):
            return "\(quoted(text)) is not an exact decimal number "
                + "(expected digits, an optional leading minus and decimal point, as in -12.50)"
        case .tooManyDecimals(let text):
            return "\(quoted(text)) has more than \(Money.scale) decimal places; it would be rounded"
        case .tooManyIntegerDigits(let text):
            return "\(quoted(text)) has more than 18 integer digits and does not fit numeric(24,6)"
        case .outOfRange(let detail):
            return detail
        }
    }

    private func quoted(_ text: String) -> String {
        let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return "\"\(shown)\""
    }
}
