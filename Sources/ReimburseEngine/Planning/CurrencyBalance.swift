/// The credit balance of one (customer, currency), positive, in both currencies.
struct CurrencyBalance {
    var currency: Code
    var amount: Money
    var amountAccounting: Money

    func skip(_ reason: SkipReason, detail: String? = nil) -> PlannedSkip {
        PlannedSkip(
            currency: currency, reason: reason, creditBalance: amount, creditBalanceAccounting: amountAccounting,
            detail: detail)
    }
}
