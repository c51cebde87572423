/// One line of a reimbursement voucher (`ledger_entry`), in the reimbursement's currency.
///
/// The planner computes the lines so that the balance of every voucher is guaranteed (and
/// tested) here, not hoped for in SQL.
public struct PlannedLedgerLine: Sendable, Hashable {
    /// Ledger account of the line.
    public var account: Code
    /// See ``PostingType``.
    public var postingType: PostingType
    /// Debit positive, credit negative, in the reimbursement's currency.
    public var amount: Money
    /// The same in accounting currency.
    public var amountAccounting: Money

    /// All fields, as written to `ledger_entry`.
    public init(account: Code, postingType: PostingType, amount: Money, amountAccounting: Money) {
        self.account = account
        self.postingType = postingType
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}
