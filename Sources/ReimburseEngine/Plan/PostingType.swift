/// `ledger_entry.posting_type`: lets reports tell the receivable side of a reimbursement
/// voucher from the payable side without knowing the chart of accounts.
public enum PostingType: String, Sendable, Hashable, CaseIterable {
    /// Debit lines on the customers' receivable accounts, clearing the credits.
    case customerReimbursement = "customer_reimbursement"
    /// The credit line on the company's vendor summary account: the new payable.
    case vendorBalance = "vendor_balance"
    /// Netting (PRODUCT.md §7): a transfer between two receivable accounts when a credit and
    /// the debit it settles sit on different ledger accounts; a debit line on the credit's
    /// account (the credit side's accounting amount), a credit line on the debit's account
    /// (the debit side's accounting amount).
    case customerNetting = "customer_netting"
    /// Netting (PRODUCT.md §7): `amount` 0 and the difference between the two sides'
    /// accounting amounts: on `company.exchange_difference_account` (a gain as a credit) and,
    /// for pieces whose credit and debit share a ledger account, the counterpart on that
    /// receivable account.
    case exchangeDifference = "exchange_difference"
}
