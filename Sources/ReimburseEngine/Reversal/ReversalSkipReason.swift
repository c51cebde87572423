/// Why a reverse job left a reimbursement alone (PRODUCT.md §8). The raw values are the public
/// `reimbursement_skip.reason` strings and the keys of a reverse job's `result`.
public enum ReversalSkipReason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Its vendor invoice is paid or partly paid: accounts payable must undo the payment first.
    case vendorInvoicePaid = "vendor_invoice_paid"
    /// It is already reversed.
    case alreadyReversed = "already_reversed"
    /// Its vendor invoice is held by a payment run (section 9; written by pay jobs' holds).
    case inPayment = "in_payment"
    /// Its rows cannot be reversed as they are (posted after the reversal date, a missing
    /// invoice or voucher, a settled transaction changed outside Reimburse); `detail` says which.
    case invalidData = "invalid_data"
    /// Approve mode: it differs from what the approved preview showed.
    case changedSincePreview = "changed_since_preview"

    public static func < (lhs: ReversalSkipReason, rhs: ReversalSkipReason) -> Bool { lhs.rawValue < rhs.rawValue }
}
