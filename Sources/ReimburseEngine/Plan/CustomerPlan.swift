/// What a job does with one selected customer.
///
/// The two cases are kept apart because the contract treats them differently: a customer
/// without open credit is only counted (`no_credit_balance`) and gets no rows at all,
/// whatever else is true of it.
public enum CustomerPlan: Sendable, Hashable {
    /// No open credit: nothing to post, nothing to explain.
    case noCreditBalance
    /// Open credits: reimbursements and/or skips; see ``CreditBalancePlan``.
    case creditBalance(CreditBalancePlan)
}
