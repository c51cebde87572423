extension ReimbursementPlanner {
    /// `post` and `preview` with `debit_handling = 'net'` (PRODUCT.md §7): checks 1 and 2 of
    /// §1 still apply; then per currency the credits are netted against the debits and the
    /// remainder R is reimbursed when R > 0 and its accounting amount reaches the minimum.
    /// Otherwise nothing at all is posted for that currency, which is skipped `below_minimum`
    /// with R (0 when the debits cover the credits).
    func planNettingPosting(_ customer: CustomerFacts, scan: CreditScan) throws(EngineError) -> CustomerPlan {
        guard scan.hasCredits else { return .noCreditBalance }
        if let reason = customerWideReason(customer, scan: scan, judgingDebits: true) {
            return customerWideSkip(reason, customer, scan: scan, keeping: [])
        }
        let ledger = try NettingLedger(customer, summarize: options.summarize)
        var reimbursements: [PlannedReimbursement] = []
        var belowMinimum: [PlannedSkip] = []
        for netting in ledger.currencies {
            let balance = remainderBalance(netting)
            if netting.remainder > 0 && reachesMinimum(balance) {
                reimbursements += try nettingReimbursements(ledger, netting)
            } else {
                belowMinimum.append(balance.skip(.belowMinimum))
            }
        }
        return try conclude(customer, scan: scan, reimbursements: reimbursements, perCurrencySkips: belowMinimum)
    }

    /// R of a currency as a balance (both amounts fit: ``NettingLedger`` checked them).
    func remainderBalance(_ netting: CurrencyNetting) -> CurrencyBalance {
        CurrencyBalance(
            currency: netting.currency, amount: Money(uncheckedMicroUnits: netting.remainder),
            amountAccounting: Money(uncheckedMicroUnits: netting.remainderAccounting))
    }

    /// The reimbursements of one netted currency with R > 0: one for the currency, or with
    /// `summarize = false` one per ledger account whose remainder is above 0. The netting of a
    /// ledger account whose debits cover its credits (remainder 0) goes with the currency's
    /// first reimbursement, so that the whole currency is netted in one atomic unit.
    func nettingReimbursements(_ ledger: NettingLedger, _ netting: CurrencyNetting) throws(EngineError) -> [PlannedReimbursement] {
        var built: [PlannedReimbursement] = []
        var unattached: [PlannedNettingPiece] = []
        for group in netting.groups {
            guard group.remainder > 0 else {
                unattached += group.pieces
                continue
            }
            var reimbursement = try group.remainingCredits.withUnsafeBufferPointer { (credits) throws(EngineError) in
                try makeReimbursement(ledger.adjusted, credits)
            }
            reimbursement.netting = PlannedNetting(pieces: group.pieces, openDebits: netting.openDebits)
            built.append(reimbursement)
        }
        guard !built.isEmpty else { return [] }
        if !unattached.isEmpty { built[0].netting?.pieces += unattached }
        for index in built.indices {
            built[index].voucherLines += try nettingLines(built[index].netting?.pieces ?? [], ledger.adjusted, netting.currency)
        }
        return built
    }

    /// The voucher lines of netting pieces (PRODUCT.md §7), after the reimbursement's lines:
    /// - `customer_netting`, for pieces whose credit and debit sit on different ledger
    ///   accounts: a debit line per account of such credits (their amounts and credit-side
    ///   accounting amounts), then a credit line per account of such debits (their amounts and
    ///   debit-side accounting amounts), accounts ascending;
    /// - `exchange_difference` with amount 0: for pieces on one ledger account whose two
    ///   accounting amounts differ, the difference on that account (per account, ascending);
    ///   then the whole difference on `company.exchange_difference_account`, a gain (credit
    ///   side worth more than debit side) as a credit.
    /// The lines sum to zero in both columns; lines that would be zero are left out.
    func nettingLines(
        _ pieces: [PlannedNettingPiece], _ customer: CustomerFacts, _ currency: Code
    ) throws(EngineError) -> [PlannedLedgerLine] {
        guard !pieces.isEmpty else { return [] }
        var accountOf: [Int64: Code] = [:]
        for transaction in customer.transactions { accountOf[transaction.id] = transaction.ledgerAccount }
        var clearedCredits: [Code: (amount: Int128, accounting: Int128)] = [:]
        var clearedDebits: [Code: (amount: Int128, accounting: Int128)] = [:]
        var residues: [Code: Int128] = [:]
        var difference: Int128 = 0
        for piece in pieces {
            let creditAccount = accountOf[piece.creditTransactionId]!
            let debitAccount = accountOf[piece.debitTransactionId]!
            let residue = piece.amountAccounting.microUnits - piece.debitAmountAccounting.microUnits
            difference += residue
            if creditAccount == debitAccount {
                residues[creditAccount, default: 0] += residue
            } else {
                clearedCredits[creditAccount, default: (0, 0)].amount += piece.amount.microUnits
                clearedCredits[creditAccount, default: (0, 0)].accounting += piece.amountAccounting.microUnits
                clearedDebits[debitAccount, default: (0, 0)].amount += piece.amount.microUnits
                clearedDebits[debitAccount, default: (0, 0)].accounting += piece.debitAmountAccounting.microUnits
            }
        }
        var lines: [PlannedLedgerLine] = []
        func money(_ value: Int128) throws(EngineError) -> Money {
            guard let money = Money(microUnits: value) else {
                throw EngineError.amountOutOfRange(
                    customer: customer.account.text, currency: currency.text,
                    detail: "a netting line of \(DecimalText.format(microUnits: value)) \(currency) does not fit "
                        + "numeric(24,6) (at most 999999999999999999.999999)")
            }
            return money
        }
        for account in clearedCredits.keys.sorted() {
            let total = clearedCredits[account]!
            lines.append(PlannedLedgerLine(
                account: account, postingType: .customerNetting, amount: try money(total.amount),
                amountAccounting: try money(total.accounting)))
        }
        for account in clearedDebits.keys.sorted() {
            let total = clearedDebits[account]!
            lines.append(PlannedLedgerLine(
                account: account, postingType: .customerNetting, amount: try money(-total.amount),
                amountAccounting: try money(-total.accounting)))
        }
        for account in residues.keys.sorted() where residues[account] != 0 {
            lines.append(PlannedLedgerLine(
                account: account, postingType: .exchangeDifference, amount: .zero,
                amountAccounting: try money(residues[account]!)))
        }
        if difference != 0 {
            guard let exchangeAccount = company.exchangeDifferenceAccount else {
                throw EngineError.exchangeDifferenceAccountMissing(company: company.id)
            }
            lines.append(PlannedLedgerLine(
                account: exchangeAccount, postingType: .exchangeDifference, amount: .zero,
                amountAccounting: try money(-difference)))
        }
        return lines
    }
}
