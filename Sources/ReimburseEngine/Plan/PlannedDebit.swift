/// The reimbursement debit on one receivable ledger account: a `customer_transaction` of kind
/// `reimbursement`, fully settled by the credits it closes.
public struct PlannedDebit: Sendable, Hashable {
    /// Receivable account of the credits it settles (and of the debit itself).
    public var ledgerAccount: Code
    /// Positive, the sum of its settlements, in transaction currency.
    public var amount: Money
    /// Positive, the sum of its settlements, in accounting currency.
    public var amountAccounting: Money
    /// The credits it settles, ascending by credit id.
    public var settlements: [PlannedSettlement]

    /// All fields.
    public init(ledgerAccount: Code, amount: Money, amountAccounting: Money, settlements: [PlannedSettlement]) {
        self.ledgerAccount = ledgerAccount
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.settlements = settlements
    }
}
