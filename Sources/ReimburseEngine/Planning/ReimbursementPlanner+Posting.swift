extension ReimbursementPlanner {
    /// The rules for `post` and `preview`, checks in the contract's order: the first that
    /// applies decides the reason.
    func planPosting(_ customer: CustomerFacts, scan: CreditScan) throws(EngineError) -> CustomerPlan {
        if options.debitHandling == .net { return try planNettingPosting(customer, scan: scan) }
        guard scan.hasCredits else { return .noCreditBalance }
        if let reason = customerWideReason(customer, scan: scan, judgingDebits: true) {
            return customerWideSkip(reason, customer, scan: scan, keeping: [])
        }
        var reimbursements: [PlannedReimbursement] = []
        var belowMinimum: [PlannedSkip] = []
        let transactions = customer.transactions
        let order = scan.creditOrder
        var start = 0
        while start < order.count {
            let end = currencyRunEnd(transactions, order, from: start)
            let balance = try creditBalance(customer, order.run(start, end))
            if reachesMinimum(balance) {
                try appendReimbursements(customer, order.run(start, end), to: &reimbursements)
            } else {
                belowMinimum.append(balance.skip(.belowMinimum))
            }
            start = end
        }
        return try conclude(customer, scan: scan, reimbursements: reimbursements, perCurrencySkips: belowMinimum)
    }

    /// On hold, pending settlement, open debits: the reasons that skip the whole customer
    /// before any balance is looked at.
    func customerWideReason(_ customer: CustomerFacts, scan: CreditScan, judgingDebits: Bool) -> SkipReason? {
        if customer.onHold { return .onHold }
        if scan.hasMarkedOpenTransaction { return .pendingSettlement }
        if judgingDebits && options.debitHandling == .skip && scan.hasOpenDebit { return .openDebits }
        return nil
    }

    /// The minimum is judged in accounting currency, equal counts; a minimum of zero (or
    /// less) lets any credit balance through, even one whose open accounting amount is zero
    /// (a residue: PRODUCT.md §1 Precisions), which is then posted as zero.
    func reachesMinimum(_ balance: CurrencyBalance) -> Bool {
        let minimum = company.minimumReimbursement
        return minimum.microUnits <= 0 || balance.amountAccounting >= minimum
    }

    /// Resolves the vendor once at least one currency is to be reimbursed, and assembles the
    /// plan; a missing vendor turns every reimbursement into one customer-wide
    /// `vendor_not_found` row, keeping the per-currency rows of the other currencies.
    func conclude(
        _ customer: CustomerFacts,
        scan: CreditScan,
        reimbursements: [PlannedReimbursement],
        perCurrencySkips: [PlannedSkip]
    ) throws(EngineError) -> CustomerPlan {
        guard !reimbursements.isEmpty else {
            return .creditBalance(CreditBalancePlan(reimbursements: [], skips: perCurrencySkips, vendor: nil))
        }
        guard let vendor = resolveVendor(customer) else {
            return customerWideSkip(.vendorNotFound, customer, scan: scan, keeping: perCurrencySkips)
        }
        return .creditBalance(CreditBalancePlan(reimbursements: reimbursements, skips: perCurrencySkips, vendor: vendor))
    }

    /// The customer's own vendor when set (and `nil` when it does not exist), else its
    /// earlier one-time vendor, else a new one.
    func resolveVendor(_ customer: CustomerFacts) -> VendorResolution? {
        if let account = customer.vendorAccount {
            return customer.vendorAccountExists ? .existing(account: account) : nil
        }
        if let oneTime = customer.existingOneTimeVendor { return .existingOneTime(account: oneTime) }
        return .createOneTime
    }

    /// A plan with one NULL-currency row carrying the customer's whole open credit in
    /// accounting currency (NULL when that sum does not fit, as the contract says), followed
    /// by `keeping` (per-currency rows that still apply).
    func customerWideSkip(
        _ reason: SkipReason, _ customer: CustomerFacts, scan: CreditScan, keeping perCurrencySkips: [PlannedSkip]
    ) -> CustomerPlan {
        let whole = Money(microUnits: scan.wholeCreditAccounting)
        var skips: [PlannedSkip] = []
        skips.reserveCapacity(perCurrencySkips.count + 1)
        skips.append(PlannedSkip(currency: nil, reason: reason, creditBalance: nil, creditBalanceAccounting: whole))
        skips.append(contentsOf: perCurrencySkips)
        return .creditBalance(CreditBalancePlan(reimbursements: [], skips: skips, vendor: nil))
    }

    /// End of the run of credits (in `order`, from `start`) that share the currency of the
    /// credit at `start`.
    func currencyRunEnd(_ transactions: [OpenTransaction], _ order: UnsafeBufferPointer<Int>, from start: Int) -> Int {
        let currency = transactions[order[start]].currency
        var end = start + 1
        while end < order.count && transactions[order[end]].currency == currency { end += 1 }
        return end
    }
}
