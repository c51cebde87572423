extension ReimbursementPlanner {
    /// Approve mode: post exactly the approved proposals, to the approved payee, unless the
    /// customer's open credits or its payee changed since the preview.
    ///
    /// A customer with no open credit left is only counted (`no_credit_balance`), and a
    /// proposal whose currency has no open credit left is dropped (PRODUCT.md §1, Modes). On
    /// hold and pending settlement are checked again (they win); open debits and the minimum
    /// are not, because a person approved those amounts. Per currency the proposals must cover
    /// exactly the currently open credits, with unchanged remaining amounts, and name the
    /// vendor the rules resolve now; if not, the currency is skipped as
    /// `changed_since_preview` with a `detail` saying what changed.
    func planApproval(
        _ customer: CustomerFacts, scan: CreditScan, proposals: [ApprovedProposal]
    ) throws(EngineError) -> CustomerPlan {
        if options.debitHandling == .net { return try planNettingApproval(customer, scan: scan, proposals: proposals) }
        guard scan.hasCredits else { return .noCreditBalance }
        guard !proposals.isEmpty else {
            return try withoutProposals(planPosting(customer, scan: scan))
        }
        if let reason = customerWideReason(customer, scan: scan, judgingDebits: false) {
            return customerWideSkip(reason, customer, scan: scan, keeping: [])
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
            // Proposed, but nothing of the currency is open any more: dropped.
            guard !run.isEmpty else { continue }
            let balance = try creditBalance(customer, run)
            guard let proposed = proposalsByCurrency[currency] else {
                // Credits nobody approved: below the minimum they would have been skipped
                // anyway; otherwise they appeared (or changed) after the preview.
                if reachesMinimum(balance) {
                    skips.append(balance.skip(
                        .changedSincePreview,
                        detail: "the preview proposed nothing in \(currency); open now \(balance.amount) "
                            + "(\(TransactionList.credits(run.map { transactions[$0].id })))"))
                } else {
                    skips.append(balance.skip(.belowMinimum))
                }
                continue
            }
            if let change = payeeChange(customer, proposed) {
                skips.append(balance.skip(.changedSincePreview, detail: change))
            } else if let approved = try approvedReimbursements(customer, run, proposed) {
                reimbursements.append(contentsOf: approved)
            } else {
                skips.append(balance.skip(
                    .changedSincePreview, detail: creditChange(customer, run, balance, proposed)))
            }
        }
        return try conclude(customer, scan: scan, reimbursements: reimbursements, perCurrencySkips: skips)
    }

    /// What the payee of `proposals` was and what it is now, in words, or `nil` when it is
    /// the same payee. The payee now is the customer's `vendor_account` when set, else its
    /// one-time vendor (an existing one, or one yet to be created). A proposal without a
    /// vendor (a one-time vendor was to be created) is still matched by a one-time vendor of
    /// the same customer created since the preview; a `vendor_account` that names a vendor
    /// that does not exist is the same payee when the preview named it too (the plan then says
    /// `vendor_not_found`).
    func payeeChange(_ customer: CustomerFacts, _ proposals: [ApprovedProposal]) -> String? {
        let now = customer.vendorAccount ?? customer.existingOneTimeVendor
        for proposal in proposals {
            let same: Bool
            if let approved = proposal.vendorAccount {
                same = now == approved
            } else {
                same = customer.vendorAccount == nil
            }
            if same { continue }
            let proposed = proposal.vendorAccount.map { "vendor \($0)" } ?? "a new one-time vendor"
            let current: String
            if let linked = customer.vendorAccount {
                current = "vendor \(linked) (the customer's vendor_account)"
            } else if let oneTime = customer.existingOneTimeVendor {
                current = "one-time vendor \(oneTime)"
            } else {
                current = "a new one-time vendor"
            }
            return "the payee changed since the preview: it proposed \(proposed), the rules now pay \(current)"
        }
        return nil
    }

    /// The open credits of one currency against what was proposed, in words.
    func creditChange(
        _ customer: CustomerFacts, _ run: UnsafeBufferPointer<Int>, _ balance: CurrencyBalance,
        _ proposals: [ApprovedProposal]
    ) -> String {
        let transactions = customer.transactions
        var proposedAmount: Int128 = 0
        var proposedIDs: [Int64] = []
        for proposal in proposals {
            proposedAmount += proposal.amount.microUnits
            proposedIDs += proposal.creditTransactionIds
        }
        return "the open \(balance.currency) credits changed since the preview: it proposed "
            + "\(DecimalText.format(microUnits: proposedAmount)) (\(TransactionList.credits(proposedIDs))), "
            + "open now \(balance.amount) (\(TransactionList.credits(run.map { transactions[$0].id })))"
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
                    creditBalance: amount, creditBalanceAccounting: amountAccounting,
                    detail: "the preview proposed nothing in \(currency) for this customer"))
        }
        skips.sort { ($0.currency ?? "") < ($1.currency ?? "") }
        return .creditBalance(CreditBalancePlan(reimbursements: [], skips: skips, vendor: nil))
    }
}
