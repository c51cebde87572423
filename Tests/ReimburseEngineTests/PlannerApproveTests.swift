import ReimburseEngine
import Testing

@Suite("Planner: approving a preview posts exactly its proposals, unless the credits changed")
struct PlannerApproveTests {
    let original = Fixture.customer([
        Fixture.credit(1, "30.00", ledger: "130100"),
        Fixture.credit(2, "20.00", ledger: "130200"),
        Fixture.credit(3, "15.00", accounting: "16.20", currency: "EUR"),
    ])
    let approver = Fixture.planner(minimum: "10.00", mode: .approve)

    func proposals(of customer: CustomerFacts, summarize: Bool = true) throws -> [ApprovedProposal] {
        try Fixture.planner(minimum: "10.00", summarize: summarize, mode: .preview).plan(customer).proposals
    }

    @Test func unchangedCreditsPostWhatThePreviewShowed() throws {
        let approved = try approver.plan(original, proposals: proposals(of: original))
        #expect(approved == (try Fixture.planner(minimum: "10.00").plan(original)))
        #expect(approved.reimbursements.map(\.currency) == ["EUR", "USD"])
    }

    @Test func perLedgerAccountProposalsPostPerLedgerAccount() throws {
        let approved = try approver.plan(original, proposals: proposals(of: original, summarize: false))
        #expect(approved == (try Fixture.planner(minimum: "10.00", summarize: false).plan(original)))
        #expect(approved.reimbursements.count == 3)
    }

    @Test func aNewCreditInTheCurrencyIsAChange() throws {
        let proposed = try proposals(of: original)
        var changed = original
        changed.transactions.append(Fixture.credit(4, "1.00"))
        let plan = try approver.plan(changed, proposals: proposed)
        #expect(plan.reimbursements.map(\.currency) == ["EUR"])
        #expect(plan.skipsWithoutDetail == [Fixture.skip(.changedSincePreview, "USD", "51.00", "51.00")])
        #expect(plan.skips.first?.detail
            == "the open USD credits changed since the preview: it proposed 50.00 (credits 1, 2), open now 51.00 (credits 1, 2, 4)")
        #expect(plan.outcome == .reimbursed)
    }

    @Test func aPartlySettledCreditIsAChange() throws {
        let proposed = try proposals(of: original)
        var changed = original
        changed.transactions[0].settledAmount = money("-0.01")
        changed.transactions[0].settledAmountAccounting = money("-0.01")
        #expect(try approver.plan(changed, proposals: proposed).skipsWithoutDetail == [Fixture.skip(.changedSincePreview, "USD", "49.99", "49.99")])
    }

    @Test func aChangedAccountingRemainderIsAChange() throws {
        let proposed = try proposals(of: original)
        var changed = original
        changed.transactions[2].settledAmountAccounting = money("-0.20")
        #expect(try approver.plan(changed, proposals: proposed).skipSummary == ["EUR:changed_since_preview"])
    }

    @Test func aSettledCreditIsAChange() throws {
        let proposed = try proposals(of: original)
        var changed = original
        changed.transactions[1].settledAmount = money("-20.00")
        changed.transactions[1].settledAmountAccounting = money("-20.00")
        #expect(try approver.plan(changed, proposals: proposed).skipsWithoutDetail == [Fixture.skip(.changedSincePreview, "USD", "30.00", "30.00")])
    }

    /// Issue 11, kind 3: the proposed credits are gone (settled elsewhere): the customer is
    /// only counted, no_credit_balance, with no skip row.
    @Test func allCreditsSettledMeanwhileIsNoCreditBalance() throws {
        let proposed = try proposals(of: original)
        let settled = Fixture.customer([Fixture.debit(9, "1.00")])
        #expect(try approver.plan(settled, proposals: proposed) == .noCreditBalance)
        var allSettled = original
        for index in allSettled.transactions.indices {
            allSettled.transactions[index].settledAmount = allSettled.transactions[index].amount
        }
        #expect(try approver.plan(allSettled, proposals: proposed) == .noCreditBalance)
    }

    /// A proposal whose currency has no open credit left is dropped; the other currency posts.
    @Test func aProposedCurrencyWithNothingOpenIsDropped() throws {
        let proposed = try proposals(of: original)
        var eurGone = original
        eurGone.transactions[2].settledAmount = eurGone.transactions[2].amount
        let plan = try approver.plan(eurGone, proposals: proposed)
        #expect(plan.reimbursements.map(\.currency) == ["USD"])
        #expect(plan.skips.isEmpty)
        #expect(plan.outcome == .reimbursed)
    }

    @Test func noCreditsAndNoProposalsIsNoCreditBalance() throws {
        #expect(try approver.plan(Fixture.customer([]), proposals: []) == .noCreditBalance)
    }

    @Test func onHoldAndPendingSettlementAreCheckedAgain() throws {
        let proposed = try proposals(of: original)
        var held = original
        held.onHold = true
        #expect(try approver.plan(held, proposals: proposed).skipSummary == ["-:on_hold"])
        var pending = original
        pending.transactions[2].markedForSettlement = true
        #expect(try approver.plan(pending, proposals: proposed).skipSummary == ["-:pending_settlement"])
    }

    @Test func newDebitsAndAHigherMinimumDoNotUndoTheApproval() throws {
        let proposed = try proposals(of: original)
        var withDebit = original
        withDebit.transactions.append(Fixture.debit(8, "500.00"))
        let strict = Fixture.planner(minimum: "1000.00", debitHandling: .skip, mode: .approve)
        let plan = try strict.plan(withDebit, proposals: proposed)
        #expect(plan.reimbursements.map(\.amount) == [money("15.00"), money("50.00")])
        #expect(plan.skips.isEmpty)
    }

    @Test func aCurrencyNobodyProposedIsExplained() throws {
        let proposed = try proposals(of: original)
        var withGBP = original
        withGBP.transactions.append(Fixture.credit(10, "40.00", accounting: "50.80", currency: "GBP"))
        withGBP.transactions.append(Fixture.credit(11, "1.00", accounting: "1.08", currency: "CHF"))
        let plan = try approver.plan(withGBP, proposals: proposed)
        #expect(plan.reimbursements.map(\.currency) == ["EUR", "USD"])
        #expect(plan.skipSummary == ["CHF:below_minimum", "GBP:changed_since_preview"])
    }

    @Test func aCustomerWithoutProposalsIsJudgedAsAPostWouldButNotPosted() throws {
        let plan = try approver.plan(original, proposals: [])
        #expect(plan.reimbursements.isEmpty && plan.vendor == nil)
        #expect(
            plan.skipsWithoutDetail == [
                Fixture.skip(.changedSincePreview, "EUR", "15.00", "16.20"),
                Fixture.skip(.changedSincePreview, "USD", "50.00", "50.00"),
            ])
        let small = Fixture.customer([Fixture.credit(1, "3.00")])
        #expect(try approver.plan(small, proposals: []).skipSummary == ["USD:below_minimum"])
        let withDebit = Fixture.customer([Fixture.credit(1, "30.00"), Fixture.debit(2, "1.00")])
        #expect(try approver.plan(withDebit, proposals: []).skipSummary == ["-:open_debits"])
    }

    @Test func theVendorIsResolvedAgain() throws {
        let proposed = try proposals(of: original)
        var vendorGone = original
        vendorGone.vendorAccountExists = false
        let plan = try approver.plan(vendorGone, proposals: proposed)
        #expect(plan.skips == [Fixture.skip(.vendorNotFound, nil, nil, "66.20")])
        var oneTimeCreated = original
        oneTimeCreated.existingOneTimeVendor = "OTV-9"
        #expect(try approver.plan(oneTimeCreated, proposals: proposed).vendor == .existing(account: "V0001"))
    }

    /// Issue 11, kind 2: the payee is part of what was approved. The customer's vendor was
    /// changed from V0001 to V-2 (an existing vendor) after the preview: nothing is posted,
    /// each currency is changed_since_preview naming both vendors.
    @Test func aChangedVendorIsAChangeNamingBothVendors() throws {
        let proposed = try proposals(of: original)
        var redirected = original
        redirected.vendorAccount = "V-2"
        let plan = try approver.plan(redirected, proposals: proposed)
        #expect(plan.reimbursements.isEmpty && plan.vendor == nil)
        #expect(plan.skipSummary == ["EUR:changed_since_preview", "USD:changed_since_preview"])
        for skip in plan.skips {
            #expect(skip.detail?.contains("vendor V0001") == true && skip.detail?.contains("vendor V-2") == true,
                    "\(skip.detail ?? "")")
        }
        // Unlinked from its vendor: a one-time vendor would now be paid instead.
        var unlinked = original
        unlinked.vendorAccount = nil
        #expect(try approver.plan(unlinked, proposals: proposed).skipSummary
            == ["EUR:changed_since_preview", "USD:changed_since_preview"])
    }

    /// The variant: the preview proposed a new one-time vendor (no vendor account), and the
    /// customer was linked to a vendor since. A one-time vendor of the same customer created
    /// since the preview is the same payee.
    @Test func aVendorLinkedSinceAOneTimeProposalIsAChange() throws {
        var oneTime = original
        oneTime.vendorAccount = nil
        oneTime.vendorAccountExists = false
        let proposed = try proposals(of: oneTime)
        #expect(proposed.allSatisfy { $0.vendorAccount == nil })
        var linked = oneTime
        linked.vendorAccount = "V-2"
        linked.vendorAccountExists = true
        let plan = try approver.plan(linked, proposals: proposed)
        #expect(plan.reimbursements.isEmpty)
        #expect(plan.skips.allSatisfy {
            $0.reason == .changedSincePreview && $0.detail?.contains("a new one-time vendor") == true
                && $0.detail?.contains("vendor V-2") == true
        })
        var created = oneTime
        created.existingOneTimeVendor = "OTV-7"
        let posted = try approver.plan(created, proposals: proposed)
        #expect(posted.vendor == .existingOneTime(account: "OTV-7"))
        #expect(posted.reimbursements.count == 2 && posted.skips.isEmpty)
    }

    @Test func proposalsThatDoNotDescribeTheCreditsAreChanges() throws {
        let usd = ApprovedProposal(
            currency: "USD", amount: money("50.00"), amountAccounting: money("50.00"), creditTransactionIds: [1, 2],
            vendorAccount: "V0001")
        let eur = ApprovedProposal(
            currency: "EUR", amount: money("15.00"), amountAccounting: money("16.20"), creditTransactionIds: [3],
            vendorAccount: "V0001")
        #expect(try approver.plan(original, proposals: [usd, eur]).outcome == .reimbursed)
        #expect(try approver.plan(original, proposals: [usd, eur]).skips.isEmpty)

        func skipsWith(_ proposals: [ApprovedProposal]) throws -> [String] {
            try approver.plan(original, proposals: proposals).skipSummary
        }
        var duplicated = usd
        duplicated.creditTransactionIds = [1, 2, 2]
        #expect(try skipsWith([duplicated, eur]) == ["USD:changed_since_preview"])
        var foreignId = usd
        foreignId.creditTransactionIds = [1, 2, 3]
        #expect(try skipsWith([foreignId]) == ["EUR:changed_since_preview", "USD:changed_since_preview"])
        var wrongAmount = usd
        wrongAmount.amount = money("50.01")
        #expect(try skipsWith([wrongAmount, eur]) == ["USD:changed_since_preview"])
        var missingCredit = usd
        missingCredit.creditTransactionIds = [1]
        missingCredit.amount = money("30.00")
        missingCredit.amountAccounting = money("30.00")
        #expect(try skipsWith([missingCredit, eur]) == ["USD:changed_since_preview"])
        var empty = usd
        empty.creditTransactionIds = []
        #expect(try skipsWith([usd, empty, eur]) == ["USD:changed_since_preview"])
    }

    @Test func proposalsAreIgnoredOutsideApproveMode() throws {
        let bogus = ApprovedProposal(
            currency: "USD", amount: money("1.00"), amountAccounting: money("1.00"), creditTransactionIds: [999],
            vendorAccount: nil)
        let post = Fixture.planner(minimum: "10.00")
        #expect(try post.plan(original, proposals: [bogus]) == post.plan(original))
    }
}
