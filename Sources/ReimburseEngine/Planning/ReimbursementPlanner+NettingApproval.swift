extension ReimbursementPlanner {
    /// Approve mode with `debit_handling = 'net'` (PRODUCT.md §7): per currency, the proposals
    /// are posted only when the payee, the open credits and every open debit of the currency
    /// (not only the netted ones) are as the preview saw them. The netting is worked out again
    /// from the data now and must give exactly the proposals (amounts, credits, netted amounts
    /// and debits); otherwise the currency is `changed_since_preview` with a `detail` saying
    /// what changed. As for other approvals, on hold and pending settlement are checked again,
    /// the minimum is not (a person approved those amounts), a proposed currency without open
    /// credits left is dropped, and a customer without open credit is only counted.
    func planNettingApproval(
        _ customer: CustomerFacts, scan: CreditScan, proposals: [ApprovedProposal]
    ) throws(EngineError) -> CustomerPlan {
        guard scan.hasCredits else { return .noCreditBalance }
        guard !proposals.isEmpty else {
            return try withoutProposals(planNettingPosting(customer, scan: scan))
        }
        if let reason = customerWideReason(customer, scan: scan, judgingDebits: false) {
            return customerWideSkip(reason, customer, scan: scan, keeping: [])
        }
        let ledger = try NettingLedger(customer, summarize: options.summarize)
        let proposalsByCurrency = Dictionary(grouping: proposals, by: \.currency)
        var reimbursements: [PlannedReimbursement] = []
        var skips: [PlannedSkip] = []
        for netting in ledger.currencies {
            let balance = remainderBalance(netting)
            guard let proposed = proposalsByCurrency[netting.currency] else {
                if netting.remainder > 0 && reachesMinimum(balance) {
                    skips.append(balance.skip(
                        .changedSincePreview,
                        detail: "the preview proposed nothing in \(netting.currency); after netting "
                            + "\(balance.amount) would be reimbursed now"))
                } else {
                    skips.append(balance.skip(.belowMinimum))
                }
                continue
            }
            if let change = payeeChange(customer, proposed) ?? debitChange(netting, proposed) {
                skips.append(balance.skip(.changedSincePreview, detail: change))
                continue
            }
            let built = netting.remainder > 0 ? try nettingReimbursements(ledger, netting) : []
            if Self.describe(built) == proposed.map(Self.describe) {
                reimbursements += built
            } else {
                skips.append(balance.skip(.changedSincePreview, detail: nettingChange(customer, netting, proposed)))
            }
        }
        return try conclude(customer, scan: scan, reimbursements: reimbursements, perCurrencySkips: skips)
    }

    /// What an approval compares of a reimbursement: its proposal without the payee (compared
    /// on its own, with its own message).
    static func describe(_ reimbursements: [PlannedReimbursement]) -> [ApprovedProposal] {
        reimbursements.map { reimbursement in
            ApprovedProposal(
                currency: reimbursement.currency, amount: reimbursement.amount,
                amountAccounting: reimbursement.amountAccounting,
                creditTransactionIds: reimbursement.creditTransactionIds, vendorAccount: nil,
                netting: reimbursement.netting?.summary)
        }
    }

    static func describe(_ proposal: ApprovedProposal) -> ApprovedProposal {
        var described = proposal
        described.vendorAccount = nil
        return described
    }

    /// The open debits of the currency now against those the preview saw, in words; `nil`
    /// when unchanged (same debits, same open amounts in all).
    func debitChange(_ netting: CurrencyNetting, _ proposals: [ApprovedProposal]) -> String? {
        let now = netting.openDebits
        for proposal in proposals {
            guard let then = proposal.netting?.openDebits else {
                return "the preview was not a netting preview of \(netting.currency)"
            }
            if then == now { continue }
            return "the open \(netting.currency) debits changed since the preview: it saw \(then.amount) "
                + "(\(Self.debitList(then.ids))), open now \(now.amount) (\(Self.debitList(now.ids)))"
        }
        return nil
    }

    /// The netting and remainder now against what was proposed, in words.
    func nettingChange(_ customer: CustomerFacts, _ netting: CurrencyNetting, _ proposals: [ApprovedProposal]) -> String {
        var proposedAmount: Int128 = 0
        var proposedNetted: Int128 = 0
        var proposedIDs: [Int64] = []
        for proposal in proposals {
            proposedAmount += proposal.amount.microUnits
            proposedNetted += proposal.netting?.nettedAmount.microUnits ?? 0
            proposedIDs += proposal.creditTransactionIds
        }
        var nettedNow: Int128 = 0
        for group in netting.groups {
            for piece in group.pieces { nettedNow += piece.amount.microUnits }
        }
        let creditsNow = customer.transactions.filter { $0.isCredit && $0.currency == netting.currency }.map(\.id)
        return "the open \(netting.currency) credits changed since the preview: it proposed to net "
            + "\(DecimalText.format(microUnits: proposedNetted)) and reimburse \(DecimalText.format(microUnits: proposedAmount)) "
            + "(\(TransactionList.credits(proposedIDs))), now it would net \(DecimalText.format(microUnits: nettedNow)) "
            + "and reimburse \(DecimalText.format(microUnits: netting.remainder)) (\(TransactionList.credits(creditsNow)))"
    }

    /// "debit 7", "debits 7, 8", "no debits".
    static func debitList(_ ids: [Int64]) -> String {
        guard !ids.isEmpty else { return "no debits" }
        return "debit" + TransactionList.credits(ids).dropFirst("credit".count)
    }
}
