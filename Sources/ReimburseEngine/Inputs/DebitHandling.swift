/// What a customer's open debits mean for its credits (the job's `debit_handling`).
public enum DebitHandling: String, Sendable, Hashable, CaseIterable {
    /// A customer with any open debit, in any currency, is skipped (`open_debits`): paying
    /// money back to someone who still owes money is usually a mistake. The default.
    case skip
    /// Open debits are left alone and credits are reimbursed in full (D365's "Include
    /// customers with outstanding debit transactions").
    case include
    /// Credits are first settled against open debits of the same currency, oldest first, and
    /// only the remainder is reimbursed (PRODUCT.md §7; Dynamics GP's refund checks).
    case net
}
