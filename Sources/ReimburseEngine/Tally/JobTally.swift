/// The counters and totals of a job, accumulated chunk by chunk.
///
/// A job may fail or be cancelled half-way and resume after a crash, and its `result` must
/// still count what it posted. So the fields are public and plain: the store persists them
/// with each chunk's commit and rebuilds the tally from its columns on resume, instead of
/// parsing the JSON back.
///
/// Recording runs once per customer, millions of times per job, so the skip counts and the
/// (few) currency totals are kept in small linear structures rather than hashed per call;
/// ``skipped`` and ``totals`` present them as dictionaries.
public struct JobTally: Sendable, Hashable {
    /// Customers planned (selected and looked at).
    public var selected: Int
    /// Customers with at least one reimbursement.
    public var reimbursedCustomers: Int
    /// Customers without open credit.
    public var noCreditBalance: Int
    /// Reimbursements (proposals, in a preview).
    public var reimbursements: Int

    var skipCounts = SkipCounts()
    /// Sorted by currency, so that equal tallies are equal values.
    var currencyTotals: [CurrencyTotalEntry] = []

    /// All counters; zero by default, for a new job.
    public init(
        selected: Int = 0,
        reimbursedCustomers: Int = 0,
        noCreditBalance: Int = 0,
        skipped: [SkipReason: Int] = [:],
        reimbursements: Int = 0,
        totals: [Code: CurrencyTotal] = [:]
    ) {
        self.selected = selected
        self.reimbursedCustomers = reimbursedCustomers
        self.noCreditBalance = noCreditBalance
        self.reimbursements = reimbursements
        self.skipped = skipped
        self.totals = totals
    }

    /// Customers with open credits and no reimbursement, each under one reason; reasons
    /// that did not occur are absent.
    public var skipped: [SkipReason: Int] {
        get {
            var counts: [SkipReason: Int] = [:]
            for reason in SkipReason.allCases where skipCounts[reason] != 0 { counts[reason] = skipCounts[reason] }
            return counts
        }
        set {
            skipCounts = SkipCounts()
            for (reason, count) in newValue { skipCounts[reason] = count }
        }
    }

    /// Reimbursed amounts per currency code.
    public var totals: [Code: CurrencyTotal] {
        get {
            Dictionary(uniqueKeysWithValues: currencyTotals.map { ($0.currency, $0.total) })
        }
        set {
            currencyTotals = newValue.map { CurrencyTotalEntry(currency: $0.key, total: $0.value) }
            currencyTotals.sort { $0.currency < $1.currency }
        }
    }
}
