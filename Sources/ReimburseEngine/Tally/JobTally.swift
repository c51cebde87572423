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
        totals: [String: CurrencyTotal] = [:]
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
    public var totals: [String: CurrencyTotal] {
        get {
            Dictionary(uniqueKeysWithValues: currencyTotals.map { ($0.currency, $0.total) })
        }
        set {
            currencyTotals = newValue.map { CurrencyTotalEntry(currency: $0.key, total: $0.value) }
            currencyTotals.sort { $0.currency < $1.currency }
        }
    }
}

/// One count per ``SkipReason``, without hashing.
struct SkipCounts: Sendable, Hashable {
    private var counts: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)

    subscript(reason: SkipReason) -> Int {
        get {
            switch reason {
            case .onHold: return counts.0
            case .pendingSettlement: return counts.1
            case .openDebits: return counts.2
            case .belowMinimum: return counts.3
            case .vendorNotFound: return counts.4
            case .changedSincePreview: return counts.5
            }
        }
        set {
            switch reason {
            case .onHold: counts.0 = newValue
            case .pendingSettlement: counts.1 = newValue
            case .openDebits: counts.2 = newValue
            case .belowMinimum: counts.3 = newValue
            case .vendorNotFound: counts.4 = newValue
            case .changedSincePreview: counts.5 = newValue
            }
        }
    }

    static func == (lhs: SkipCounts, rhs: SkipCounts) -> Bool {
        SkipReason.allCases.allSatisfy { lhs[$0] == rhs[$0] }
    }

    func hash(into hasher: inout Hasher) {
        for reason in SkipReason.allCases { hasher.combine(self[reason]) }
    }
}

/// A currency's total inside ``JobTally``.
struct CurrencyTotalEntry: Sendable, Hashable {
    var currency: String
    var total: CurrencyTotal
}
