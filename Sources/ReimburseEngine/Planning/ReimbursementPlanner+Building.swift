extension ReimbursementPlanner {
    /// Adds the reimbursements of one currency whose balance reached the minimum: one for the
    /// whole currency, or with `summarize = false` one per ledger account.
    func appendReimbursements(
        _ customer: CustomerFacts, _ currencyRun: UnsafeBufferPointer<Int>, to reimbursements: inout [PlannedReimbursement]
    ) throws(EngineError) {
        if options.summarize {
            reimbursements.append(try makeReimbursement(customer, currencyRun))
            return
        }
        var start = 0
        while start < currencyRun.count {
            let end = ledgerRunEnd(customer.transactions, currencyRun, from: start)
            reimbursements.append(try makeReimbursement(customer, currencyRun.run(start, end)))
            start = end
        }
    }

    /// One reimbursement over credits of one currency, ordered by ledger account then id:
    /// a debit per ledger account, and the voucher that balances them against the vendor
    /// summary account.
    func makeReimbursement(_ customer: CustomerFacts, _ credits: UnsafeBufferPointer<Int>) throws(EngineError) -> PlannedReimbursement {
        guard let dueDate else {
            throw EngineError.dueDateOutOfRange(
                company: company.id, postingDate: options.postingDate, paymentDays: company.paymentDays)
        }
        let transactions = customer.transactions
        let currency = transactions[credits[0]].currency
        var debits: [PlannedDebit] = []
        var total: Int128 = 0
        var totalAccounting: Int128 = 0
        var start = 0
        while start < credits.count {
            let end = ledgerRunEnd(transactions, credits, from: start)
            let debit = try makeDebit(customer, credits.run(start, end))
            total += debit.amount.microUnits
            totalAccounting += debit.amountAccounting.microUnits
            debits.append(debit)
            start = end
        }
        let amount = try fitting(total, customer, currency, "the reimbursement amount", of: credits)
        let amountAccounting = try fitting(
            totalAccounting, customer, currency, "the reimbursement amount in accounting currency", of: credits)
        return PlannedReimbursement(
            currency: currency,
            amount: amount,
            amountAccounting: amountAccounting,
            debits: debits,
            voucherLines: voucherLines(debits, amount: amount, amountAccounting: amountAccounting),
            dueDate: dueDate)
    }

    /// The debit on one ledger account, settling each credit by exactly its remaining amount.
    func makeDebit(_ customer: CustomerFacts, _ credits: UnsafeBufferPointer<Int>) throws(EngineError) -> PlannedDebit {
        let transactions = customer.transactions
        var settlements: [PlannedSettlement] = []
        settlements.reserveCapacity(credits.count)
        var total: Int128 = 0
        var totalAccounting: Int128 = 0
        // Fields are read in place: copying each transaction would retain its strings.
        for position in credits.indices {
            let index = credits[position]
            let id = transactions[index].id
            let amount = -transactions[index].remainingMicroUnits
            let amountAccounting = -transactions[index].remainingAccountingMicroUnits
            total += amount
            totalAccounting += amountAccounting
            settlements.append(
                PlannedSettlement(
                    creditTransactionId: id,
                    amount: try fitting(
                        amount, customer, transactions[index].currency, "the remaining amount",
                        of: credits.run(position, position + 1)),
                    amountAccounting: try fitting(
                        amountAccounting, customer, transactions[index].currency, "the remaining accounting amount",
                        of: credits.run(position, position + 1))))
        }
        let ledgerAccount = transactions[credits[0]].ledgerAccount
        let currency = transactions[credits[0]].currency
        return PlannedDebit(
            ledgerAccount: ledgerAccount,
            amount: try fitting(total, customer, currency, "the debit on ledger account \(ledgerAccount)", of: credits),
            amountAccounting: try fitting(
                totalAccounting, customer, currency, "the accounting debit on ledger account \(ledgerAccount)",
                of: credits),
            settlements: settlements)
    }

    /// Debit lines per ledger account, then the credit line to the vendor summary account;
    /// the credit line is the negated total, so the voucher balances by construction.
    func voucherLines(_ debits: [PlannedDebit], amount: Money, amountAccounting: Money) -> [PlannedLedgerLine] {
        var lines: [PlannedLedgerLine] = []
        lines.reserveCapacity(debits.count + 1)
        for debit in debits {
            lines.append(
                PlannedLedgerLine(
                    account: debit.ledgerAccount, postingType: .customerReimbursement,
                    amount: debit.amount, amountAccounting: debit.amountAccounting))
        }
        lines.append(
            PlannedLedgerLine(
                account: company.vendorSummaryAccount, postingType: .vendorBalance,
                amount: -amount, amountAccounting: -amountAccounting))
        return lines
    }

    /// End of the run of credits sharing the ledger account of the credit at `start`.
    func ledgerRunEnd(_ transactions: [OpenTransaction], _ credits: UnsafeBufferPointer<Int>, from start: Int) -> Int {
        let account = transactions[credits[start]].ledgerAccount
        var end = start + 1
        while end < credits.count && transactions[credits[end]].ledgerAccount == account { end += 1 }
        return end
    }
}
