/// One `reimbursement_skip` row: a recorded reason for every (customer, currency) left out,
/// so that nobody has to guess why a credit balance is still there after a run.
public struct PlannedSkip: Sendable, Hashable {
    /// `nil` for customer-wide reasons (one row for the whole customer).
    public var currency: Code?
    /// See ``SkipReason``.
    public var reason: SkipReason
    /// Positive credit balance in `currency`; `nil` exactly when `currency` is `nil`.
    public var creditBalance: Money?
    /// Positive credit balance in accounting currency (zero allowed: a residue): of this
    /// currency, or for a customer-wide row the customer's whole open credit; `nil` only for an
    /// `invalid_data` row whose whole open credit does not fit `numeric(24,6)` or cannot be read.
    public var creditBalanceAccounting: Money?
    /// `reimbursement_skip.detail`: in words, for a person, what is wrong (`invalid_data`: the
    /// transactions and the problem) or what changed (`changed_since_preview`); `nil` when the
    /// reason says it all.
    public var detail: String?

    /// All fields, as written to `reimbursement_skip`.
    public init(
        currency: Code?, reason: SkipReason, creditBalance: Money?, creditBalanceAccounting: Money?,
        detail: String? = nil
    ) {
        self.currency = currency
        self.reason = reason
        self.creditBalance = creditBalance
        self.creditBalanceAccounting = creditBalanceAccounting
        self.detail = detail
    }
}
