/// The one bucket a selected customer is counted in, in the job's `result`.
public enum CustomerOutcome: Sendable, Hashable {
    /// At least one reimbursement (or proposal, in a preview).
    case reimbursed
    /// No open credit.
    case noCreditBalance
    /// Open credits, none reimbursed, for this reason.
    case skipped(SkipReason)
}
