extension ReimbursementPlanner {
    /// Approve mode: post exactly the approved proposals, unless the customer's open credits
    /// changed since the preview.
    ///
    /// On hold and pending settlement are checked again (they win); open debits and the
    /// minimum are not, because a person approved those amounts. Per currency the proposals
    /// must cover exactly the currently open credits, with unchanged remaining amounts; if
    /// not, the currency is skipped as `changed_since_preview`. The vendor is resolved anew.
    func planApproval(
        _ customer: CustomerFacts, scan: CreditScan, proposals: [ApprovedProposal]
    ) throws(EngineError) -> CustomerPlan {
        guard scan.hasCredits else {
            guard !proposals.isEmpty else { return .noCreditBalance }
            // Proposed credits are all settled (or gone): every proposal changed.
            let currencies = Set(proposals.map(\.currency)).sorted()
            let skips = currencies.map { emptyBalance($0).skip(.changedSincePreview) }
            return .creditBalance(CreditBalancePlan(reimbursements: [], skips: skips, vendor: nil))
        }
        guard !proposals.isEmpty else {
            return try withoutProposals(planPosting(customer, scan: scan))
        }
        if let reason = customerWideReason(customer, scan: scan, judgingDebits: false) {
            return try customerWideSkip(reason, customer, scan: scan, keeping: [])
        }
        let transactions = customer.transactions
        let order = scan.creditOrder
        let proposalsByCurrency = Dictionary(grouping: proposals, by: \.currency)
        var currencies = Set(proposalsByCurrency.keys)
        for index in order { currencies.insert(transactions[index].currency) }

        var reimbursements: [PlannedReimbursement] = []
        var skips: [PlannedSkip] = []
        var start = 0
        for currency in currencies.sorted() {
            // Credits are ordered by currency, so this currency's credits (if any) start here.
            var end = start
            while end < order.count && transactions[order[end]].currency == currency { end += 1 }
            let run = order.run(start, end)
            start = end
            let balance = run.isEmpty ? emptyBalance(currency) : try creditBalance(customer, run)
            guard let proposed = proposalsByCurrency[currency] else {
                // Credits nobody approved: below the minimum they would have been skipped
                // anyway; otherwise they appeared (or changed) after the preview.
                skips.append(balance.skip(reachesMinimum(balance) ? .changedSincePreview : .belowMinimum))
                continue
            }
            if let approved = try approvedReimbursements(customer, run, proposed) {
                reimbursements.append(contentsOf: approved)
            } else {
                skips.append(balance.skip(.changedSincePreview))
            }
        }
        return try conclude(customer, scan: scan, reimbursements: reimbursements, perCurrencySkips: skips)
    }

    /// The reimbursements of one currency's proposals, or `nil` when they no longer describe
    /// the open credits: the proposals together must name every open credit of the currency
    /// exactly once, and each proposal's amounts must equal its credits' remaining amounts.
    func approvedReimbursements(
        _ customer: CustomerFacts, _ run: UnsafeBufferPointer<Int>, _ proposals: [ApprovedProposal]
    ) throws(EngineError) -> [PlannedReimbursement]? {
        let transactions = customer.transactions
        var indexOfCredit: [Int64: Int] = [:]
        indexOfCredit.reserveCapacity(run.count)
        for index in run { indexOfCredit[transactions[index].id] = index }
        var claimed = Set<Int64>()
        var built: [PlannedReimbursement] = []
        for proposal in proposals {
            guard !proposal.creditTransactionIds.isEmpty else { return nil }
            var members: [Int] = []
            var amount: Int128 = 0
            var amountAccounting: Int128 = 0
            for id in proposal.creditTransactionIds {
                guard let index = indexOfCredit[id], claimed.insert(id).inserted else { return nil }
                members.append(index)
                amount -= transactions[index].remainingMicroUnits
                amountAccounting -= transactions[index].remainingAccountingMicroUnits
            }
            guard amount == proposal.amount.microUnits, amountAccounting == proposal.amountAccounting.microUnits else {
                return nil
            }
            members.sort { CreditScan.inOrder(transactions[$0], transactions[$1]) }
            built.append(
                try members.withUnsafeBufferPointer { (credits) throws(EngineError) in
                    try makeReimbursement(customer, credits)
                })
        }
        guard claimed.count == run.count else { return nil }
        // The order a post would have produced: by ledger account, then by first credit.
        built.sort { first, second in
            let firstAccount = first.debits[0].ledgerAccount
            let secondAccount = second.debits[0].ledgerAccount
            if firstAccount != secondAccount { return firstAccount < secondAccount }
            return first.debits[0].settlements[0].creditTransactionId < second.debits[0].settlements[0].creditTransactionId
        }
        return built
    }

    /// A customer of an approving job that had no proposals: what a post would say, except
    /// that nothing it would now reimburse was approved, so those currencies become
    /// `changed_since_preview` rows instead.
    func withoutProposals(_ plan: CustomerPlan) throws(EngineError) -> CustomerPlan {
        guard case .creditBalance(let decided) = plan, !decided.reimbursements.isEmpty else { return plan }
        var skips = decided.skips
        var index = 0
        let reimbursements = decided.reimbursements
        while index < reimbursements.count {
            let currency = reimbursements[index].currency
            var amount = Money.zero
            var amountAccounting = Money.zero
            while index < reimbursements.count && reimbursements[index].currency == currency {
                // Parts of a balance that already fit, so the sums fit too.
                amount = Money(uncheckedMicroUnits: amount.microUnits + reimbursements[index].amount.microUnits)
                amountAccounting = Money(
                    uncheckedMicroUnits: amountAccounting.microUnits + reimbursements[index].amountAccounting.microUnits)
                index += 1
            }
            skips.append(
                PlannedSkip(
                    currency: currency, reason: .changedSincePreview,
                    creditBalance: amount, creditBalanceAccounting: amountAccounting))
        }
        skips.sort { ($0.currency ?? "") < ($1.currency ?? "") }
        return .creditBalance(CreditBalancePlan(reimbursements: [], skips: skips, vendor: nil))
    }
}
