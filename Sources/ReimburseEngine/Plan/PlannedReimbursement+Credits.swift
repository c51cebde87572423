extension PlannedReimbursement {
    /// The credits this reimbursement settles, ascending: what a proposal records and what
    /// an approval compares.
    public var creditTransactionIds: [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(debits.reduce(0) { $0 + $1.settlements.count })
        for debit in debits {
            for settlement in debit.settlements { ids.append(settlement.creditTransactionId) }
        }
        ids.sort()
        return ids
    }
}
