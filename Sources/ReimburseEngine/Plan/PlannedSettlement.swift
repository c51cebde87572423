/// One `customer_settlement` row: a credit closed by a reimbursement debit, by exactly its
/// remaining open amount, so that the credit ends fully settled in both currencies.
public struct PlannedSettlement: Sendable, Hashable {
    /// The credit transaction settled.
    public var creditTransactionId: Int64
    /// Positive: the credit's remaining amount, in transaction currency.
    public var amount: Money
    /// Positive: the credit's remaining amount in accounting currency. The store adds the
    /// negated amounts to the credit's `settled_amount` and `settled_amount_accounting`.
    public var amountAccounting: Money

    /// All fields.
    public init(creditTransactionId: Int64, amount: Money, amountAccounting: Money) {
        self.creditTransactionId = creditTransactionId
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}
