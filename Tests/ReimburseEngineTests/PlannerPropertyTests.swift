import ReimburseEngine
import Testing

/// Ten thousand random customers per run, each planned for post, preview and approval: the
/// invariants must hold for all of them, and preview and approval must agree with post.
@Suite("Planner properties over random customers")
struct PlannerPropertyTests {
    static let customersPerRun = 10_000

    @Test(arguments: [UInt64(20_260_331), 42])
    func invariantsHoldAndModesAgree(seed: UInt64) throws {
        var world = RandomCustomers(seed: seed)
        var problems: [String] = []
        var outcomes: [CustomerOutcome: Int] = [:]
        var tally = JobTally()
        var expectedTotals: [Code: Int128] = [:]
        var approvedChanged = 0
        for number in 0..<PlannerPropertyTests.customersPerRun {
            let company = world.company()
            let options = world.options(mode: .post)
            var previewOptions = options
            previewOptions.mode = .preview
            var approveOptions = options
            approveOptions.mode = .approve
            let customer = world.customer(number)
            let invariants = PlanInvariants(company: company, options: options)

            let post = try ReimbursementPlanner(company: company, options: options).plan(customer)
            let preview = try ReimbursementPlanner(company: company, options: previewOptions).plan(customer)
            problems += invariants.problems(post, for: customer)
            problems += oracleProblems(post, customer, company, options)
            if preview != post { problems.append("\(customer.account): preview differs from post") }

            let approver = ReimbursementPlanner(company: company, options: approveOptions)
            let approved = try approver.plan(customer, proposals: preview.proposals)
            if approved != post { problems.append("\(customer.account): approving an unchanged preview differs from post") }

            let changed = world.changed(customer)
            let afterChange = try approver.plan(changed, proposals: preview.proposals)
            problems += PlanInvariants(company: company, options: approveOptions).problems(afterChange, for: changed)
            for reimbursement in afterChange.reimbursements {
                let matches = preview.proposals.contains {
                    $0.currency == reimbursement.currency && $0.amount == reimbursement.amount
                        && $0.amountAccounting == reimbursement.amountAccounting
                        && $0.creditTransactionIds == reimbursement.creditTransactionIds
                }
                if !matches { problems.append("\(customer.account): approval posted something not proposed") }
            }
            if afterChange.skips.contains(where: { $0.reason == .changedSincePreview }) { approvedChanged += 1 }

            try tally.record(post)
            outcomes[post.outcome, default: 0] += 1
            for reimbursement in post.reimbursements {
                expectedTotals[reimbursement.currency, default: 0] += reimbursement.amount.microUnits
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(20).joined(separator: "\n"))")
        #expect(tally.selected == PlannerPropertyTests.customersPerRun)
        #expect(tally.reimbursedCustomers + tally.noCreditBalance + tally.skipped.values.reduce(0, +) == tally.selected)
        #expect(tally.totals.mapValues(\.amount.microUnits) == expectedTotals)
        // The generator must reach every outcome, or the properties prove little.
        #expect(outcomes[.reimbursed, default: 0] > 1000)
        #expect(outcomes[.noCreditBalance, default: 0] > 100)
        for reason: SkipReason in [.onHold, .pendingSettlement, .openDebits, .belowMinimum, .vendorNotFound] {
            #expect(outcomes[.skipped(reason), default: 0] > 20, "\(reason)")
        }
        #expect(approvedChanged > 500)
    }

    /// The contract's rules restated plainly (dictionaries, no shared code with the planner),
    /// compared on the skip rows and the reimbursed currencies.
    func oracleProblems(
        _ plan: CustomerPlan, _ customer: CustomerFacts, _ company: CompanyRules, _ options: JobOptions
    ) -> [String] {
        let open = customer.transactions.filter(\.isOpen)
        let credits = open.filter(\.isCredit)
        var expectedSkips: [String] = []
        var expectedCurrencies: [Code] = []
        if credits.isEmpty {
            return plan == .noCreditBalance ? [] : ["\(customer.account): oracle expects noCreditBalance"]
        } else if customer.onHold {
            expectedSkips = ["-:on_hold"]
        } else if open.contains(where: \.markedForSettlement) {
            expectedSkips = ["-:pending_settlement"]
        } else if options.debitHandling == .skip && open.contains(where: \.isDebit) {
            expectedSkips = ["-:open_debits"]
        } else {
            var accountingBalance: [Code: Int128] = [:]
            for credit in credits {
                accountingBalance[credit.currency, default: 0] -=
                    credit.amountAccounting.microUnits - credit.settledAmountAccounting.microUnits
            }
            let minimum = company.minimumReimbursement.microUnits
            let reached = accountingBalance.filter { minimum <= 0 || $0.value >= minimum }.keys.sorted()
            let below = accountingBalance.filter { !(minimum <= 0 || $0.value >= minimum) }.keys.sorted()
            let belowRows = below.map { "\($0):below_minimum" }
            if !reached.isEmpty, let account = customer.vendorAccount, !customer.vendorAccountExists {
                _ = account
                expectedSkips = ["-:vendor_not_found"] + belowRows
            } else {
                expectedSkips = belowRows
                expectedCurrencies = reached
            }
        }
        var problems: [String] = []
        if plan.skipSummary != expectedSkips {
            problems.append("\(customer.account): skips \(plan.skipSummary), oracle \(expectedSkips)")
        }
        var currencies: [Code] = []
        for reimbursement in plan.reimbursements where currencies.last != reimbursement.currency {
            currencies.append(reimbursement.currency)
        }
        if currencies != expectedCurrencies {
            problems.append("\(customer.account): reimbursed \(currencies), oracle \(expectedCurrencies)")
        }
        if !plan.reimbursements.isEmpty {
            let expectedVendor: VendorResolution =
                customer.vendorAccount.map { .existing(account: $0) }
                ?? customer.existingOneTimeVendor.map { .existingOneTime(account: $0) } ?? .createOneTime
            if plan.vendor != expectedVendor { problems.append("\(customer.account): vendor \(String(describing: plan.vendor))") }
        }
        return problems
    }
}
