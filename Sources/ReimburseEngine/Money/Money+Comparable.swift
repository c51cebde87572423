extension Money: Comparable {
    /// Amounts order by value; comparing two currencies is the caller's mistake, not ours to
    /// detect, because the currency lives beside the amount.
    @inlinable
    public static func < (lhs: Money, rhs: Money) -> Bool {
        lhs.microUnits < rhs.microUnits
    }
}
