extension Money {
    /// Adds two amounts, or throws when the sum would not fit `numeric(24,6)`.
    ///
    /// There is deliberately no `+` operator: every sum in this service can exceed the column
    /// for real data (18 integer digits are a lot, but not unlimited), and a trap would take
    /// the daemon down instead of failing one job with a message.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        let sum = microUnits + other.microUnits  // cannot overflow Int128: both are below 10^24
        guard Money.fits(sum) else {
            throw MoneyError.outOfRange(
                "\(self) + \(other) = \(DecimalText.format(microUnits: sum)) does not fit numeric(24,6)")
        }
        return Money(uncheckedMicroUnits: sum)
    }

    /// Subtracts, or throws when the difference would not fit `numeric(24,6)`; see
    /// ``adding(_:)`` for why this is not an operator.
    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        let difference = microUnits - other.microUnits  // cannot overflow Int128
        guard Money.fits(difference) else {
            throw MoneyError.outOfRange(
                "\(self) - \(other) = \(DecimalText.format(microUnits: difference)) does not fit numeric(24,6)")
        }
        return Money(uncheckedMicroUnits: difference)
    }

    /// Adds two amounts and reports whether the exact sum left the `numeric(24,6)` range, for
    /// loops that prefer to check once at the end. On overflow `partialValue` is clamped to
    /// ``Money/max`` or ``Money/min``, so it is never mistaken for a real total.
    public func addingReportingOverflow(_ other: Money) -> (partialValue: Money, overflow: Bool) {
        let sum = microUnits + other.microUnits
        if sum > Money.maximumMicroUnits { return (Money.max, true) }
        if sum < -Money.maximumMicroUnits { return (Money.min, true) }
        return (Money(uncheckedMicroUnits: sum), false)
    }

    /// The exact sum of many amounts, or a throw when the total does not fit. Intermediate
    /// sums may leave the range (they are kept in `Int128`); only the result must fit, as in
    /// PostgreSQL's `sum(numeric)` written back to a `numeric(24,6)` column.
    public static func sum(_ amounts: some Sequence<Money>) throws(MoneyError) -> Money {
        var total: Int128 = 0
        for amount in amounts {
            let (next, overflow) = total.addingReportingOverflow(amount.microUnits)
            guard !overflow else {
                throw MoneyError.outOfRange("a sum of amounts exceeds even 128-bit arithmetic")
            }
            total = next
        }
        guard Money.fits(total) else {
            throw MoneyError.outOfRange(
                "the sum \(DecimalText.format(microUnits: total)) does not fit numeric(24,6)")
        }
        return Money(uncheckedMicroUnits: total)
    }
}
