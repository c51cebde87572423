/// One `reimbursement_skip` row: a recorded reason for every (customer, currency) left out,
/// so that nobody has to guess why a credit balance is still there after a run.
public struct PlannedSkip: Sendable, Hashable {
    /// `nil` for customer-wide reasons (one row for the whole customer).
    public var currency: String?
    /// See ``SkipReason``.
    public var reason: SkipReason
    /// Positive credit balance in `currency`; `nil` exactly when `currency` is `nil`.
    public var creditBalance: Money?
    /// Positive credit balance in accounting currency: of this currency, or for a
    /// customer-wide row the customer's whole open credit.
    public var creditBalanceAccounting: Money

    /// All fields, as written to `reimbursement_skip`.
    public init(currency: String?, reason: SkipReason, creditBalance: Money?, creditBalanceAccounting: Money) {
        self.currency = currency
        self.reason = reason
        self.creditBalance = creditBalance
        self.creditBalanceAccounting = creditBalanceAccounting
    }
}
