extension Money {
    /// Credits are negative and debits positive in the ledger; these read better at the call
    /// site than comparisons with zero.
    @inlinable public var isZero: Bool { microUnits == 0 }

    /// See ``isZero``.
    @inlinable public var isNegative: Bool { microUnits < 0 }

    /// See ``isZero``.
    @inlinable public var isPositive: Bool { microUnits > 0 }

    /// -1, 0 or 1, as `BinaryInteger.signum()`, for code that switches on the sign.
    @inlinable
    public func signum() -> Int {
        microUnits < 0 ? -1 : (microUnits > 0 ? 1 : 0)
    }

    /// The amount without its sign: recorded balances and settlements are positive even
    /// though credits are stored negative. Never overflows, because the bound is symmetric.
    @inlinable
    public var magnitude: Money {
        Money(uncheckedMicroUnits: microUnits < 0 ? -microUnits : microUnits)
    }

    /// Turns a credit into the positive amount that settles it. Never overflows, because the
    /// bound is symmetric.
    @inlinable
    public static prefix func - (amount: Money) -> Money {
        Money(uncheckedMicroUnits: -amount.microUnits)
    }
}
