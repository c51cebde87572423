/// What a reverse job does with one selected reimbursement.
public enum ReversalPlan: Sendable, Hashable {
    /// Reverse it (or, in a preview, propose to).
    case reverse(PlannedReversal)
    /// Leave it alone, with a `reimbursement_skip` row.
    case skip(PlannedReversalSkip)
}

/// Everything one reversal posts, atomically (PRODUCT.md §8).
public struct PlannedReversal: Sendable, Hashable {
    public var reimbursementID: Int64
    public var customerAccount: Code
    public var currency: Code
    /// The reversed reimbursement's amounts (positive), for totals and the preview.
    public var amount: Money
    public var amountAccounting: Money
    /// The original voucher, named by the preview.
    public var originalVoucher: String
    /// The original lines with opposite signs, same accounts and posting types, same order.
    public var voucherLines: [PlannedReversalLine]
    /// One closing transaction (kind `reimbursement_reversal`) per reimbursement debit: the
    /// debit's ledger account and the opposite of its amounts, created fully settled.
    public var closings: [PlannedClosing]
    /// Every transaction the reimbursement's settlements settled (other than its own debits),
    /// with what to take off its settled amounts, ascending by id.
    public var reopenings: [PlannedReopening]
    /// The vendor invoice to cancel.
    public var invoiceID: Int64
    /// The credits it reopens, ascending (the preview's `credit_transaction_ids`).
    public var creditTransactionIds: [Int64]
}

/// One line of a reversal voucher.
public struct PlannedReversalLine: Sendable, Hashable {
    public var account: Code
    public var postingType: String
    public var amount: Money
    public var amountAccounting: Money
}

/// A `reimbursement_reversal` customer transaction closing one reimbursement debit.
public struct PlannedClosing: Sendable, Hashable {
    /// The debit it closes.
    public var debitTransactionID: Int64
    public var ledgerAccount: Code
    /// Negative: the opposite of the debit.
    public var amount: Money
    public var amountAccounting: Money
}

/// A transaction open again: `settled_amount += settledChange` (and the accounting column
/// likewise). Credits get a positive change (their settled amount is negative), netted debits
/// a negative one.
public struct PlannedReopening: Sendable, Hashable {
    public var transactionID: Int64
    public var settledChange: Money
    public var settledChangeAccounting: Money
}

/// A reimbursement left alone: one `reimbursement_skip` row with its customer, currency,
/// amounts and a detail naming it.
public struct PlannedReversalSkip: Sendable, Hashable {
    public var reimbursementID: Int64
    public var customerAccount: Code
    public var currency: Code
    public var reason: ReversalSkipReason
    public var amount: Money
    public var amountAccounting: Money
    public var detail: String

    public init(
        reimbursementID: Int64, customerAccount: Code, currency: Code, reason: ReversalSkipReason, amount: Money,
        amountAccounting: Money, detail: String
    ) {
        self.reimbursementID = reimbursementID
        self.customerAccount = customerAccount
        self.currency = currency
        self.reason = reason
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.detail = detail
    }
}
