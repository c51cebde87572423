/// The accounting share of a part of a transaction's open amount (PRODUCT.md §7: each side's
/// accounting amount proportional to its own open amounts, the last piece exact).
///
/// Shares are taken cumulatively: after `consumed` of `open` has been netted, the accounting
/// amount netted so far is `round(openAccounting × consumed / open)` (half away from zero), and
/// a piece gets the difference to the share before it. Rounding never drifts, every share
/// stays between zero and the open accounting amount, and the piece that consumes the rest of
/// the open amount gets exactly the rest of the open accounting amount.
enum ProportionalShare {
    /// `round(openAccounting × consumed / open)` in micro-units; all three are magnitudes, with
    /// `0 <= consumed <= open`, `open > 0`, and `openAccounting >= 0`. Exact for every value
    /// that fits `numeric(24,6)`: the product is taken in 256 bits.
    static func cumulative(openAccounting: Int128, consumed: Int128, open: Int128) -> Int128 {
        precondition(open > 0 && consumed >= 0 && consumed <= open && openAccounting >= 0)
        if consumed == open { return openAccounting }
        if consumed == 0 || openAccounting == 0 { return 0 }
        let divisor = UInt128(open)
        let product = UInt128(openAccounting).multipliedFullWidth(by: UInt128(consumed))
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        // remainder < divisor < 2^80: doubling it cannot overflow.
        let rounded = remainder * 2 >= divisor ? quotient + 1 : quotient
        return Int128(rounded)
    }

    /// The share of the piece that takes `consumed` up to `consumed + piece`.
    static func piece(openAccounting: Int128, consumedBefore: Int128, piece: Int128, open: Int128) -> Int128 {
        cumulative(openAccounting: openAccounting, consumed: consumedBefore + piece, open: open)
            - cumulative(openAccounting: openAccounting, consumed: consumedBefore, open: open)
    }
}
