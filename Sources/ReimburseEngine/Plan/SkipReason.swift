/// Why a selected customer with open credits, or one of its currencies, was not reimbursed.
///
/// The raw values are the public `reimbursement_skip.reason` strings and the keys of the
/// job's `result.customers.skipped`; reporting tools match on them, so they never change.
public enum SkipReason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The customer is on hold. Customer-wide.
    case onHold = "on_hold"
    /// An open transaction is marked for a settlement being prepared elsewhere. Customer-wide.
    case pendingSettlement = "pending_settlement"
    /// Debit handling `skip` and the customer has an open debit. Customer-wide.
    case openDebits = "open_debits"
    /// The (customer, currency) credit balance in accounting currency is below the company
    /// minimum. Per currency.
    case belowMinimum = "below_minimum"
    /// The customer's `vendor_account` does not exist in the company. Customer-wide.
    case vendorNotFound = "vendor_not_found"
    /// Approve mode: the open credits of this currency, or the payee, differ from the approved
    /// proposals; the row's `detail` says what changed.
    /// Per currency.
    case changedSincePreview = "changed_since_preview"
    /// The customer's own rows cannot be judged or posted (an amount or a sum that does not
    /// fit `numeric(24,6)`, a value that cannot be read, a row the database refuses); the
    /// skip row's `detail` names the transactions and the problem. Customer-wide: one bad
    /// customer never stops the others (PRODUCT.md §1, Precisions).
    case invalidData = "invalid_data"

    /// Whether skip rows of this reason carry a currency (the contract: `below_minimum` and
    /// `changed_since_preview`), or are one customer-wide row with a NULL currency.
    public var isPerCurrency: Bool {
        self == .belowMinimum || self == .changedSincePreview
    }

    /// Alphabetical by raw value, the order of keys in the job's `result`.
    public static func < (lhs: SkipReason, rhs: SkipReason) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
