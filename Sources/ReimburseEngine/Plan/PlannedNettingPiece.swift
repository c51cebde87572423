/// One (credit, debit) piece of netting (PRODUCT.md §7): a `customer_settlement` row of kind
/// `netting` that settles both transactions by the same `amount`, each side in accounting
/// currency by its own share.
public struct PlannedNettingPiece: Sendable, Hashable {
    /// The credit settled (its `settled_amount` goes down by `amount`).
    public var creditTransactionId: Int64
    /// The debit settled (its `settled_amount` goes up by `amount`).
    public var debitTransactionId: Int64
    /// Positive, in the transactions' currency; the same on both sides.
    public var amount: Money
    /// The credit side's accounting amount, zero or positive: proportional to the credit's
    /// open amounts, or its exact remainder for its last piece
    /// (`customer_settlement.amount_accounting`).
    public var amountAccounting: Money
    /// The debit side's accounting amount, zero or positive, on the same rule for the debit
    /// (`customer_settlement.debit_amount_accounting`).
    public var debitAmountAccounting: Money

    /// All fields.
    public init(
        creditTransactionId: Int64, debitTransactionId: Int64, amount: Money, amountAccounting: Money,
        debitAmountAccounting: Money
    ) {
        self.creditTransactionId = creditTransactionId
        self.debitTransactionId = debitTransactionId
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.debitAmountAccounting = debitAmountAccounting
    }
}
