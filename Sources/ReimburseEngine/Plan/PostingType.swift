/// `ledger_entry.posting_type`: lets reports tell the receivable side of a reimbursement
/// voucher from the payable side without knowing the chart of accounts.
public enum PostingType: String, Sendable, Hashable, CaseIterable {
    /// Debit lines on the customers' receivable accounts, clearing the credits.
    case customerReimbursement = "customer_reimbursement"
    /// The credit line on the company's vendor summary account: the new payable.
    case vendorBalance = "vendor_balance"
}
