import ReimburseEngine
import Testing

@Suite("Planner: checks run in the contract's order, the first that applies decides")
struct PlannerCheckOrderTests {
    let planner = Fixture.planner(minimum: "10.00")

    @Test func noTransactionsIsNoCreditBalance() throws {
        #expect(try planner.plan(Fixture.customer([])) == .noCreditBalance)
    }

    @Test func onlyDebitsIsNoCreditBalance() throws {
        #expect(try planner.plan(Fixture.customer([Fixture.debit(1, "50.00")])) == .noCreditBalance)
    }

    @Test func fullySettledCreditsAreIgnored() throws {
        let customer = Fixture.customer([Fixture.credit(1, "50.00", settled: "50.00")])
        #expect(try planner.plan(customer) == .noCreditBalance)
    }

    @Test func noCreditBalanceWinsOverEverythingElse() throws {
        let customer = Fixture.customer(
            [Fixture.debit(1, "50.00", marked: true)], onHold: true, vendorAccount: "MISSING", vendorAccountExists: false)
        let plan = try planner.plan(customer)
        #expect(plan == .noCreditBalance)
        #expect(plan.outcome == .noCreditBalance)
        #expect(plan.skips.isEmpty && plan.reimbursements.isEmpty)
    }

    @Test func onHoldWinsOverPendingDebitsAndMinimum() throws {
        let customer = Fixture.customer(
            [
                Fixture.credit(1, "5.00", marked: true),
                Fixture.credit(2, "3.00", accounting: "3.30", currency: "EUR"),
                Fixture.debit(3, "1.00"),
            ],
            onHold: true)
        let plan = try planner.plan(customer)
        #expect(plan.skips == [Fixture.skip(.onHold, nil, nil, "8.30")])
        #expect(plan.reimbursements.isEmpty && plan.vendor == nil)
        #expect(plan.outcome == .skipped(.onHold))
    }

    @Test func pendingSettlementOnAnOpenCredit() throws {
        let customer = Fixture.customer([Fixture.credit(1, "50.00"), Fixture.credit(2, "5.00", marked: true)])
        #expect(try planner.plan(customer).skips == [Fixture.skip(.pendingSettlement, nil, nil, "55.00")])
    }

    @Test func pendingSettlementOnAnOpenDebitWinsOverOpenDebits() throws {
        let customer = Fixture.customer([Fixture.credit(1, "50.00"), Fixture.debit(2, "5.00", marked: true)])
        #expect(try planner.plan(customer).skipSummary == ["-:pending_settlement"])
    }

    @Test func markedButSettledTransactionsDoNotBlock() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "50.00"), Fixture.credit(2, "5.00", settled: "5.00", marked: true),
        ])
        let plan = try planner.plan(customer)
        #expect(plan.outcome == .reimbursed)
        #expect(plan.reimbursements.first?.creditTransactionIds == [1])
    }

    @Test func openDebitsWinOverBelowMinimum() throws {
        let customer = Fixture.customer([Fixture.credit(1, "1.00"), Fixture.debit(2, "5.00")])
        #expect(try planner.plan(customer).skips == [Fixture.skip(.openDebits, nil, nil, "1.00")])
    }

    @Test func belowMinimumWinsOverVendorNotFound() throws {
        let customer = Fixture.customer([Fixture.credit(1, "1.00")], vendorAccount: "MISSING", vendorAccountExists: false)
        #expect(try planner.plan(customer).skips == [Fixture.skip(.belowMinimum, "USD", "1.00", "1.00")])
    }

    @Test func customerWideRowsCarryTheWholeCreditInAccountingCurrency() throws {
        let customer = Fixture.customer(
            [
                Fixture.credit(1, "100.00", accounting: "108.00", currency: "EUR", settled: "50.00", settledAccounting: "54.00"),
                Fixture.credit(2, "20.00"),
                Fixture.debit(3, "7.00"),
            ],
            onHold: true)
        let skip = try #require(try planner.plan(customer).skips.first)
        #expect(skip.currency == nil && skip.creditBalance == nil)
        #expect(skip.creditBalanceAccounting == money("74.00"))
    }
}
