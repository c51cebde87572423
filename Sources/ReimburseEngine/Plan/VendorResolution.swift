/// Which vendor account the customer's reimbursements are paid to.
///
/// Creating a vendor needs a number from a gap-free sequence, which only the store can take
/// inside its transaction, so the planner only says that one is needed.
public enum VendorResolution: Sendable, Hashable {
    /// The customer's own `vendor_account`, which exists.
    case existing(account: Code)
    /// The one-time vendor created for this customer by an earlier job (the lowest account
    /// if there are several).
    case existingOneTime(account: Code)
    /// A new one-time vendor: the store takes the account from the `one_time_vendor`
    /// sequence, copies name, address and currency from the customer, takes the group from
    /// ``CompanyRules/oneTimeVendorGroup``, and sets `one_time` and `customer_account`.
    case createOneTime

    /// The vendor account when it is already known; `nil` when it is yet to be created (the
    /// value stored in `reimbursement_proposal.vendor_account`).
    public var knownAccount: Code? {
        switch self {
        case .existing(let account), .existingOneTime(let account): return account
        case .createOneTime: return nil
        }
    }
}
