extension PlannedReimbursement {
    /// The credits this reimbursement settles, ascending: what a proposal records and what
    /// an approval compares. With netting, also the credits it settles by netting (once each).
    public var creditTransactionIds: [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(debits.reduce(0) { $0 + $1.settlements.count })
        for debit in debits {
            for settlement in debit.settlements { ids.append(settlement.creditTransactionId) }
        }
        if let netting {
            var seen = Set(ids)
            for piece in netting.pieces where seen.insert(piece.creditTransactionId).inserted {
                ids.append(piece.creditTransactionId)
            }
        }
        ids.sort()
        return ids
    }
}
