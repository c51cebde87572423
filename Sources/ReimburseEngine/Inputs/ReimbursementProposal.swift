/// One reimbursement as a preview job proposes it (`reimbursement_proposal`), and as an
/// approving job reads it back.
///
/// The credit ids, not only the amount, are part of the proposal: an approval must post
/// exactly what a person saw, and the ids are what proves that the credits did not change.
public struct ReimbursementProposal: Sendable, Hashable {
    /// Transaction currency of the credits.
    public var currency: Code
    /// Positive sum of the credits' remaining amounts, in `currency` (with netting: the
    /// remainder after netting, what is reimbursed).
    public var amount: Money
    /// Positive sum of the credits' remaining amounts, in accounting currency.
    public var amountAccounting: Money
    /// The credits it settles, ascending (with netting: by netting or reimbursement).
    public var creditTransactionIds: [Int64]
    /// The vendor that would be paid; `nil` when a one-time vendor would be created.
    public var vendorAccount: Code?
    /// `debit_handling = 'net'`: what it nets first (PRODUCT.md §7); `nil` otherwise.
    public var netting: NettingSummary?

    /// All fields, as stored in `reimbursement_proposal`.
    public init(
        currency: Code,
        amount: Money,
        amountAccounting: Money,
        creditTransactionIds: [Int64],
        vendorAccount: Code?,
        netting: NettingSummary? = nil
    ) {
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.creditTransactionIds = creditTransactionIds
        self.vendorAccount = vendorAccount
        self.netting = netting
    }
}

/// A proposal of the preview job being approved, passed back to the planner in approve mode.
/// Same data as a fresh proposal; the name says which role it plays at the call site.
public typealias ApprovedProposal = ReimbursementProposal
