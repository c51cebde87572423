/// The counters and totals of a job, accumulated chunk by chunk.
///
/// A job may fail or be cancelled half-way and resume after a crash, and its `result` must
/// still count what it posted. So the fields are public and plain: the store persists them
/// with each chunk's commit and rebuilds the tally from its columns on resume, instead of
/// parsing the JSON back.
public struct JobTally: Sendable, Hashable {
    /// Customers planned (selected and looked at).
    public var selected: Int
    /// Customers with at least one reimbursement.
    public var reimbursedCustomers: Int
    /// Customers without open credit.
    public var noCreditBalance: Int
    /// Customers with open credits and no reimbursement, each under one reason.
    public var skipped: [SkipReason: Int]
    /// Reimbursements (proposals, in a preview).
    public var reimbursements: Int
    /// Reimbursed amounts per currency code.
    public var totals: [String: CurrencyTotal]

    /// All counters; zero by default, for a new job.
    public init(
        selected: Int = 0,
        reimbursedCustomers: Int = 0,
        noCreditBalance: Int = 0,
        skipped: [SkipReason: Int] = [:],
        reimbursements: Int = 0,
        totals: [String: CurrencyTotal] = [:]
    ) {
        self.selected = selected
        self.reimbursedCustomers = reimbursedCustomers
        self.noCreditBalance = noCreditBalance
        self.skipped = skipped
        self.reimbursements = reimbursements
        self.totals = totals
    }
}
