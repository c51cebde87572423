/// What a job reimbursed in one currency, in that currency and in accounting currency.
public struct CurrencyTotal: Sendable, Hashable {
    /// Sum of the reimbursement amounts, in the currency.
    public var amount: Money
    /// Sum of the reimbursement amounts, in accounting currency.
    public var amountAccounting: Money

    /// Both sums; zero by default, for a currency seen for the first time.
    public init(amount: Money = .zero, amountAccounting: Money = .zero) {
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}
