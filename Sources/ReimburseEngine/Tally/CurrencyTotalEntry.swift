/// A currency's total inside ``JobTally``.
struct CurrencyTotalEntry: Sendable, Hashable {
    var currency: String
    var total: CurrencyTotal
}
