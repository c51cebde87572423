/// One count per ``SkipReason``, without hashing.
struct SkipCounts: Sendable, Hashable {
    private var counts: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)

    subscript(reason: SkipReason) -> Int {
        get {
            switch reason {
            case .onHold: return counts.0
            case .pendingSettlement: return counts.1
            case .openDebits: return counts.2
            case .belowMinimum: return counts.3
            case .vendorNotFound: return counts.4
            case .changedSincePreview: return counts.5
            case .invalidData: return counts.6
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
            case .invalidData: counts.6 = newValue
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
