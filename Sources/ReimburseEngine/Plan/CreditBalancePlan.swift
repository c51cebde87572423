/// The decision for a customer that has open credits: what to post, and a recorded reason
/// for everything left out.
///
/// Both lists can be non-empty at once: a customer reimbursed in one currency and below the
/// minimum in another gets the reimbursement and a `below_minimum` row, so that every
/// (customer, currency) with a credit balance is either reimbursed or explained.
public struct CreditBalancePlan: Sendable, Hashable {
    /// In currency order, then ledger account order (`summarize = false`).
    public var reimbursements: [PlannedReimbursement]
    /// The customer-wide row (NULL currency) first, if any, then per-currency rows in
    /// currency order.
    public var skips: [PlannedSkip]
    /// Who is paid; `nil` exactly when `reimbursements` is empty.
    public var vendor: VendorResolution?

    /// All fields.
    public init(reimbursements: [PlannedReimbursement], skips: [PlannedSkip], vendor: VendorResolution?) {
        self.reimbursements = reimbursements
        self.skips = skips
        self.vendor = vendor
    }
}
