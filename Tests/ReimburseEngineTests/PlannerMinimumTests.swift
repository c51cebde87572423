import ReimburseEngine
import Testing

@Suite("Planner: the minimum is judged per currency in accounting currency, equal counts")
struct PlannerMinimumTests {
    @Test func exactlyTheMinimumIsReimbursed() throws {
        let plan = try Fixture.planner(minimum: "10.00").plan(Fixture.customer([Fixture.credit(1, "10.00")]))
        #expect(plan.outcome == .reimbursed)
    }

    @Test func oneCentBelowIsSkippedWithItsBalance() throws {
        let plan = try Fixture.planner(minimum: "10.00").plan(Fixture.customer([Fixture.credit(1, "9.99")]))
        #expect(plan.skips == [Fixture.skip(.belowMinimum, "USD", "9.99", "9.99")])
        #expect(plan.reimbursements.isEmpty && plan.vendor == nil)
        #expect(plan.outcome == .skipped(.belowMinimum))
    }

    @Test func oneMicroUnitBelowIsSkipped() throws {
        let plan = try Fixture.planner(minimum: "10.00").plan(Fixture.customer([Fixture.credit(1, "9.999999")]))
        #expect(plan.skipSummary == ["USD:below_minimum"])
    }

    @Test func creditsOfACurrencyAddUp() throws {
        let customer = Fixture.customer([Fixture.credit(1, "6.00"), Fixture.credit(2, "4.00", ledger: "130200")])
        #expect(try Fixture.planner(minimum: "10.00").plan(customer).outcome == .reimbursed)
    }

    @Test func partlySettledCreditsCountWithTheirRemainder() throws {
        let customer = Fixture.customer([Fixture.credit(1, "25.00", settled: "15.01")])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.skips == [Fixture.skip(.belowMinimum, "USD", "9.99", "9.99")])
    }

    @Test func foreignCreditReachesTheMinimumInAccountingCurrency() throws {
        // 9.50 EUR is 10.20 USD: below 10 in its own currency, above in accounting currency.
        let customer = Fixture.customer([Fixture.credit(1, "9.50", accounting: "10.20", currency: "EUR")])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(reimbursement.currency == "EUR")
        #expect(reimbursement.amount == money("9.50"))
        #expect(reimbursement.amountAccounting == money("10.20"))
    }

    @Test func foreignCreditBelowInAccountingCurrencyIsSkipped() throws {
        // 12.00 GBP but only 9.80 USD at the historical rate.
        let customer = Fixture.customer([Fixture.credit(1, "12.00", accounting: "9.80", currency: "GBP")])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.skips == [Fixture.skip(.belowMinimum, "GBP", "12.00", "9.80")])
    }

    @Test func aZeroMinimumLetsAnyCreditThrough() throws {
        let tiny = Fixture.customer([Fixture.credit(1, "0.000001")])
        #expect(try Fixture.planner(minimum: "0").plan(tiny).reimbursements.map(\.amount) == [money("0.000001")])
        let noAccountingValue = Fixture.customer([Fixture.credit(1, "0.01", accounting: "0")])
        #expect(try Fixture.planner(minimum: "0").plan(noAccountingValue).outcome == .reimbursed)
    }
}
