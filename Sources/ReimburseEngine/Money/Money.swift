/// An exact amount of money, as the database stores it in a `numeric(24,6)` column.
///
/// Binary floating point cannot hold 0.1 exactly and Foundation's `Decimal` parses "12abc"
/// as 12 and loses digits beyond 38, so amounts travel as a whole number of micro-units
/// (10⁻⁶) in an `Int128`. Every value fits the column: 18 integer digits and 6 decimals,
/// `-999999999999999999.999999 ... 999999999999999999.999999`. Constructors and arithmetic
/// refuse anything beyond that, so an amount that PostgreSQL would reject is caught here,
/// where the message can still name the customer and the currency.
///
/// The currency is not part of the value: amounts of different currencies never meet in one
/// sum, and the planner keeps the currency code beside each amount.
public struct Money: Sendable, Hashable {
    /// The amount in millionths of a unit. Always within ``Money/maximumMicroUnits`` in
    /// magnitude, which is why this is read-only.
    public let microUnits: Int128

    /// Builds an amount from micro-units already known to fit; internal code that has checked
    /// the bound uses this to skip a second check.
    @usableFromInline
    init(uncheckedMicroUnits: Int128) {
        self.microUnits = uncheckedMicroUnits
    }

    /// Builds an amount from a count of micro-units, or `nil` when it would not fit
    /// `numeric(24,6)`; the caller decides what a person should be told.
    public init?(microUnits: Int128) {
        guard Money.fits(microUnits) else { return nil }
        self.microUnits = microUnits
    }
}

extension Money {
    /// Number of decimal places, fixed by the database columns (`numeric(24,6)`).
    public static let scale = 6

    /// Micro-units in one unit of currency (10^scale).
    public static let microUnitsPerUnit: Int128 = 1_000_000

    /// The largest magnitude `numeric(24,6)` holds: 10²⁴ − 1 micro-units, that is
    /// 999999999999999999.999999.
    public static let maximumMicroUnits: Int128 = 999_999_999_999_999_999_999_999

    /// Zero, the neutral start of every sum.
    public static let zero = Money(uncheckedMicroUnits: 0)

    /// The largest amount the database can store.
    public static let max = Money(uncheckedMicroUnits: maximumMicroUnits)

    /// The most negative amount the database can store; the bound is symmetric, so negating
    /// any amount is always safe.
    public static let min = Money(uncheckedMicroUnits: -maximumMicroUnits)

    /// Whether a count of micro-units fits `numeric(24,6)`.
    @inlinable
    public static func fits(_ microUnits: Int128) -> Bool {
        microUnits >= -maximumMicroUnits && microUnits <= maximumMicroUnits
    }
}
