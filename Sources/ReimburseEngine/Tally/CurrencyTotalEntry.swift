/// A currency's total inside ``JobTally``.
struct CurrencyTotalEntry: Sendable, Hashable {
    var currency: Code
    var total: CurrencyTotal
}
