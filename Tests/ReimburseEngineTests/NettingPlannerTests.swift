import ReimburseEngine
import Testing

/// The worked examples of PRODUCT.md §7 in the engine: what is netted, what is reimbursed,
/// which voucher lines an accountant sees.
@Suite("Netting planner")
struct NettingPlannerTests {
    static func planner(minimum: String = "0", summarize: Bool = true, mode: JobMode = .post, exchange: Code? = "780000")
        -> ReimbursementPlanner
    {
        var company = Fixture.company(minimum: minimum)
        company.exchangeDifferenceAccount = exchange
        return ReimbursementPlanner(
            company: company,
            options: JobOptions(debitHandling: .net, summarize: summarize, postingDate: Fixture.postingDate, mode: mode))
    }

    static func dated(_ transaction: OpenTransaction, _ day: Int) -> OpenTransaction {
        var dated = transaction
        dated.transactionDate = LocalDate(year: 2026, month: 3, day: day)!
        return dated
    }

    static func lines(_ reimbursement: PlannedReimbursement) -> [String] {
        reimbursement.voucherLines.map { "\($0.account) \($0.postingType.rawValue) \($0.amount) \($0.amountAccounting)" }
    }

    @Test func sameLedgerAccountNetsOldestFirstAndReimbursesTheRemainder() throws {
        let customer = Fixture.customer([
            Self.dated(Fixture.credit(1, "100.00"), 2), Self.dated(Fixture.credit(2, "50.00"), 1),
            Self.dated(Fixture.debit(3, "70.00"), 5), Self.dated(Fixture.debit(4, "20.00"), 4),
        ])
        let plan = try Self.planner().plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(plan.reimbursements.count == 1)
        #expect(reimbursement.amount == money("60.00"))
        // Credit 2 (1 March) before credit 1; debit 4 (4 March) before debit 3.
        #expect(reimbursement.netting?.pieces == [
            PlannedNettingPiece(creditTransactionId: 2, debitTransactionId: 4, amount: money("20.00"), amountAccounting: money("20.00"), debitAmountAccounting: money("20.00")),
            PlannedNettingPiece(creditTransactionId: 2, debitTransactionId: 3, amount: money("30.00"), amountAccounting: money("30.00"), debitAmountAccounting: money("30.00")),
            PlannedNettingPiece(creditTransactionId: 1, debitTransactionId: 3, amount: money("40.00"), amountAccounting: money("40.00"), debitAmountAccounting: money("40.00")),
        ])
        #expect(reimbursement.debits.map(\.settlements) == [[PlannedSettlement(creditTransactionId: 1, amount: money("60.00"), amountAccounting: money("60.00"))]])
        // Same ledger account, same rates: no netting lines at all.
        #expect(Self.lines(reimbursement) == ["130100 customer_reimbursement 60.00 60.00", "200100 vendor_balance -60.00 -60.00"])
        #expect(plan.proposals.first?.netting?.nettedDebitIds == [3, 4])
        #expect(plan.proposals.first?.creditTransactionIds == [1, 2])
    }

    @Test func twoLedgerAccountsGetATransfer() throws {
        let customer = Fixture.customer([Fixture.credit(1, "100.00", ledger: "130100"), Fixture.debit(2, "30.00", ledger: "130200")])
        let reimbursement = try #require(try Self.planner().plan(customer).reimbursements.first)
        #expect(Self.lines(reimbursement) == [
            "130100 customer_reimbursement 70.00 70.00", "200100 vendor_balance -70.00 -70.00",
            "130100 customer_netting 30.00 30.00", "130200 customer_netting -30.00 -30.00",
        ])
    }

    @Test func aDebitLargerThanTheCreditsPostsNothing() throws {
        let customer = Fixture.customer([Fixture.credit(1, "40.00"), Fixture.debit(2, "100.00")])
        let plan = try Self.planner().plan(customer)
        #expect(plan.reimbursements.isEmpty)
        #expect(plan.skipsWithoutDetail == [Fixture.skip(.belowMinimum, "USD", "0", "0")])
    }

    @Test func aRemainderBelowTheMinimumPostsNoNettingEither() throws {
        let customer = Fixture.customer([Fixture.credit(1, "100.00"), Fixture.debit(2, "95.00")])
        let plan = try Self.planner(minimum: "10.00").plan(customer)
        #expect(plan.reimbursements.isEmpty)
        #expect(plan.skipsWithoutDetail == [Fixture.skip(.belowMinimum, "USD", "5", "5")])
    }

    @Test func differentRatesOnTheTwoSidesGiveAnExchangeDifference() throws {
        // EUR 100 credit at 1.10 (USD 110), EUR 60 debit at 1.00 (USD 60), another EUR 60 debit on another account at 1.05.
        let customer = Fixture.customer([
            Self.dated(Fixture.credit(1, "100.00", accounting: "110.00", currency: "EUR"), 1),
            Self.dated(Fixture.debit(2, "60.00", accounting: "60.00", currency: "EUR"), 2),
            Self.dated(Fixture.credit(3, "50.00", accounting: "55.00", currency: "EUR"), 3),
            Self.dated(Fixture.debit(4, "60.00", accounting: "63.00", currency: "EUR", ledger: "130200"), 4),
        ])
        let plan = try Self.planner().plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(reimbursement.amount == money("30.00"))
        // Credit 1: 60 at 66 (proportional), the last 40 at 44 exactly; credit 3: 20 of 50 at 22, rest 30 at 33.
        #expect(reimbursement.netting?.pieces.map { "\($0.creditTransactionId)-\($0.debitTransactionId) \($0.amount) \($0.amountAccounting)/\($0.debitAmountAccounting)" } == [
            "1-2 60.00 66.00/60.00", "1-4 40.00 44.00/42.00", "3-4 20.00 22.00/21.00",
        ])
        #expect(reimbursement.amountAccounting == money("33.00"))
        // Same account (1-2): 66 against 60, the 6 on 130100; across accounts: 66 against 63.
        // The whole difference, 6 + 2 + 1 = 9, is a gain: a credit on the exchange account.
        #expect(Self.lines(reimbursement) == [
            "130100 customer_reimbursement 30.00 33.00", "200100 vendor_balance -30.00 -33.00",
            "130100 customer_netting 60.00 66.00", "130200 customer_netting -60.00 -63.00",
            "130100 exchange_difference 0.00 6.00", "780000 exchange_difference 0.00 -9.00",
        ])
    }

    @Test func noExchangeDifferenceAccountIsAJobError() throws {
        let customer = Fixture.customer([Fixture.credit(1, "100.00", accounting: "110.00", currency: "EUR"), Fixture.debit(2, "60.00", currency: "EUR")])
        #expect(throws: EngineError.exchangeDifferenceAccountMissing(company: "USMF")) {
            try Self.planner(exchange: nil).plan(customer)
        }
    }

    @Test func summarizeFalseNetsPerLedgerAccount() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "100.00", ledger: "130100"), Fixture.debit(2, "30.00", ledger: "130100"),
            Fixture.credit(3, "10.00", ledger: "130200"), Fixture.debit(4, "50.00", ledger: "130200"),
            Fixture.debit(5, "500.00", ledger: "130300"),
        ])
        let plan = try Self.planner(summarize: false).plan(customer)
        // 130100: 30 netted, 70 left; 130200: 10 netted, nothing left (its netting goes with 130100's
        // reimbursement); 130300 has no credits: its debit is left alone.
        #expect(plan.reimbursements.map(\.amount) == [money("70.00")])
        #expect(plan.reimbursements[0].netting?.pieces.map(\.debitTransactionId) == [2, 4])
        #expect(plan.reimbursements[0].netting?.openDebits.ids == [2, 4, 5])
    }

    @Test func anApprovalAfterANewInvoiceIsChangedSincePreview() throws {
        let customer = Fixture.customer([Fixture.credit(1, "100.00"), Fixture.debit(2, "30.00")])
        let preview = try Self.planner(mode: .preview).plan(customer)
        var later = customer
        later.transactions.append(Fixture.debit(9, "10.00", ledger: "130900"))
        let approved = try Self.planner(mode: .approve).plan(later, proposals: preview.proposals)
        #expect(approved.reimbursements.isEmpty)
        #expect(approved.skips.map(\.reason) == [.changedSincePreview])
        #expect(approved.skips.first?.detail?.contains("debits changed since the preview") == true)
        #expect(try Self.planner(mode: .approve).plan(customer, proposals: preview.proposals) == Self.planner().plan(customer))
    }
}
