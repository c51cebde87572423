import ReimburseEngine

/// The situations a sample customer is in: together they exercise every rule of a run, so the
/// demo's report and skip reasons show each outcome at least once per company.
enum SampleSituation: String, CaseIterable, Sendable {
    case ownVendor = "own vendor"
    case newOneTimeVendor = "one-time vendor created"
    case existingOneTimeVendor = "existing one-time vendor"
    case vendorMissing = "vendor_account names no vendor"
    case onHold = "on hold"
    case pendingSettlement = "marked for settlement"
    case openDebits = "open debits"
    case belowMinimum = "below minimum"
    case exactlyMinimum = "exactly the minimum"
    case twoCurrencies = "credits in two currencies"
    case twoLedgerAccounts = "credits on two ledger accounts"
    case noCreditBalance = "no credit balance"

    /// How often each appears after the first of each kind: common cases common, odd ones rare.
    var weight: Int {
        switch self {
        case .ownVendor: return 22
        case .newOneTimeVendor: return 20
        case .existingOneTimeVendor: return 8
        case .vendorMissing: return 2
        case .onHold: return 3
        case .pendingSettlement: return 3
        case .openDebits: return 9
        case .belowMinimum: return 8
        case .exactlyMinimum: return 2
        case .twoCurrencies: return 6
        case .twoLedgerAccounts: return 6
        case .noCreditBalance: return 11
        }
    }

    static func weighted(using generator: inout SplitMix64) -> SampleSituation {
        let total = allCases.reduce(0) { $0 + $1.weight }
        var pick = Int.random(in: 0..<total, using: &generator)
        for situation in allCases {
            if pick < situation.weight { return situation }
            pick -= situation.weight
        }
        return .ownVendor
    }
}
