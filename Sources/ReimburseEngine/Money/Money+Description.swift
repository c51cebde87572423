extension Money: CustomStringConvertible {
    /// Exact decimal text that PostgreSQL reads back to the same `numeric`: no digit is lost,
    /// trailing zeros are trimmed but two decimals always stay ("10.00", "9.99", "0.50",
    /// "0.000001", "-123456789012345678.123456"), so reports and the job's `result` read like
    /// money.
    public var description: String {
        let magnitude = microUnits.magnitude
        // Within numeric(24,6) the integer part has at most 18 digits: it fits UInt64.
        return DecimalText.format(
            negative: microUnits < 0,
            integerPart: UInt64(truncatingIfNeeded: magnitude / 1_000_000),
            fraction: UInt64(truncatingIfNeeded: magnitude % 1_000_000))
    }
}
