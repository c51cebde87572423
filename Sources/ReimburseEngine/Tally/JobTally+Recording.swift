extension JobTally {
    /// Counts one planned customer, once, under its ``CustomerPlan/outcome``, and adds its
    /// reimbursements to the totals. Record a plan only once it is committed (or, in a
    /// preview, written), so that the tally matches what the database holds.
    ///
    /// - Throws: ``EngineError/totalOutOfRange(currency:detail:)`` when a currency's total
    ///   would no longer fit `numeric(24,6)`; the tally is then left unchanged.
    public mutating func record(_ plan: CustomerPlan) throws(EngineError) {
        let reimbursements = plan.reimbursements
        if !reimbursements.isEmpty {
            var updated = totals
            for reimbursement in reimbursements {
                try JobTally.add(
                    reimbursement.amount, reimbursement.amountAccounting, currency: reimbursement.currency, to: &updated)
            }
            totals = updated
        }
        selected += 1
        self.reimbursements += reimbursements.count
        switch plan.outcome {
        case .reimbursed: reimbursedCustomers += 1
        case .noCreditBalance: noCreditBalance += 1
        case .skipped(let reason): skipped[reason, default: 0] += 1
        }
    }

    /// Adds another tally (for example of a chunk planned on another thread).
    public mutating func merge(_ other: JobTally) throws(EngineError) {
        var updated = totals
        for (currency, total) in other.totals {
            try JobTally.add(total.amount, total.amountAccounting, currency: currency, to: &updated)
        }
        totals = updated
        selected += other.selected
        reimbursedCustomers += other.reimbursedCustomers
        noCreditBalance += other.noCreditBalance
        reimbursements += other.reimbursements
        for (reason, count) in other.skipped { skipped[reason, default: 0] += count }
    }

    private static func add(
        _ amount: Money, _ amountAccounting: Money, currency: String, to totals: inout [String: CurrencyTotal]
    ) throws(EngineError) {
        var total = totals[currency] ?? CurrencyTotal()
        do {
            total.amount = try total.amount.adding(amount)
            total.amountAccounting = try total.amountAccounting.adding(amountAccounting)
        } catch {
            throw EngineError.totalOutOfRange(currency: currency, detail: error.description)
        }
        totals[currency] = total
    }
}
