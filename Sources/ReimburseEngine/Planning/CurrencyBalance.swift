/// The credit balance of one (customer, currency), positive, in both currencies.
struct CurrencyBalance {
    var currency: String
    var amount: Money
    var amountAccounting: Money

    func skip(_ reason: SkipReason) -> PlannedSkip {
        PlannedSkip(currency: currency, reason: reason, creditBalance: amount, creditBalanceAccounting: amountAccounting)
    }
}
