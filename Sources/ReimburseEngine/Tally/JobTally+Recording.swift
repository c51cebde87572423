extension JobTally {
    /// Counts one planned customer, once, under its ``CustomerPlan/outcome``, and adds its
    /// reimbursements to the totals. Record a plan only once it is committed (or, in a
    /// preview, written), so that the tally matches what the database holds.
    ///
    /// - Throws: ``EngineError/totalOutOfRange(currency:detail:)`` when a currency's total
    ///   would no longer fit `numeric(24,6)`; the tally is then left unchanged.
    public mutating func record(_ plan: CustomerPlan) throws(EngineError) {
        guard case .creditBalance(let decided) = plan else {
            selected += 1
            noCreditBalance += 1
            return
        }
        let planned = decided.reimbursements
        if planned.count == 1 {
            try add(planned[0].currency, planned[0].amount, planned[0].amountAccounting)
        } else if planned.count > 1 {
            try checkTotalsFit(planned)
            for reimbursement in planned {
                try add(reimbursement.currency, reimbursement.amount, reimbursement.amountAccounting)
            }
        }
        selected += 1
        reimbursements += planned.count
        switch plan.outcome {
        case .reimbursed: reimbursedCustomers += 1
        case .noCreditBalance: noCreditBalance += 1
        case .skipped(let reason): skipCounts[reason] += 1
        }
    }

    /// Adds another tally (for example of a chunk planned on another thread).
    public mutating func merge(_ other: JobTally) throws(EngineError) {
        var updated = self
        for entry in other.currencyTotals {
            try updated.add(entry.currency, entry.total.amount, entry.total.amountAccounting)
        }
        currencyTotals = updated.currencyTotals
        selected += other.selected
        reimbursedCustomers += other.reimbursedCustomers
        noCreditBalance += other.noCreditBalance
        reimbursements += other.reimbursements
        for reason in SkipReason.allCases { skipCounts[reason] += other.skipCounts[reason] }
    }

    /// Throws if adding all of `planned` would take a currency's total out of range, so that
    /// a failure leaves the tally as it was without copying it first.
    private func checkTotalsFit(_ planned: [PlannedReimbursement]) throws(EngineError) {
        for (index, reimbursement) in planned.enumerated()
        where !planned[..<index].contains(where: { $0.currency == reimbursement.currency }) {
            let current = currencyTotals.first { $0.currency == reimbursement.currency }?.total ?? CurrencyTotal()
            var amount = current.amount.microUnits
            var amountAccounting = current.amountAccounting.microUnits
            for other in planned[index...] where other.currency == reimbursement.currency {
                amount += other.amount.microUnits
                amountAccounting += other.amountAccounting.microUnits
            }
            guard Money.fits(amount), Money.fits(amountAccounting) else {
                let sum = Money.fits(amount) ? amountAccounting : amount
                throw EngineError.totalOutOfRange(
                    currency: reimbursement.currency.text,
                    detail: "the total \(DecimalText.format(microUnits: sum)) does not fit numeric(24,6)")
            }
        }
    }

    /// Adds to a currency's total in place, or inserts it in currency order. A job has a
    /// handful of currencies, so a linear search beats hashing the code every time. Throws
    /// before changing anything.
    private mutating func add(_ currency: Code, _ amount: Money, _ amountAccounting: Money) throws(EngineError) {
        var position = 0
        while position < currencyTotals.count {
            let entryCurrency = currencyTotals[position].currency
            if entryCurrency == currency {
                let total = currencyTotals[position].total
                do {
                    let newAmount = try total.amount.adding(amount)
                    let newAmountAccounting = try total.amountAccounting.adding(amountAccounting)
                    currencyTotals[position].total = CurrencyTotal(amount: newAmount, amountAccounting: newAmountAccounting)
                } catch {
                    throw EngineError.totalOutOfRange(currency: currency.text, detail: error.description)
                }
                return
            }
            if currency < entryCurrency { break }
            position += 1
        }
        currencyTotals.insert(
            CurrencyTotalEntry(currency: currency, total: CurrencyTotal(amount: amount, amountAccounting: amountAccounting)),
            at: position)
    }
}
