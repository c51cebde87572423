import ReimburseEngine
import Testing

@Suite("Planner: balances per currency")
struct PlannerCurrencyTests {
    @Test func twoCurrenciesAreTwoReimbursementsInCurrencyOrder() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "30.00"),
            Fixture.credit(2, "20.00", accounting: "21.60", currency: "EUR"),
        ])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.reimbursements.map(\.currency) == ["EUR", "USD"])
        #expect(plan.reimbursements.map(\.amount) == [money("20.00"), money("30.00")])
        #expect(plan.reimbursements.map(\.amountAccounting) == [money("21.60"), money("30.00")])
        #expect(plan.skips.isEmpty)
    }

    @Test func reimbursedInOneCurrencyAndBelowTheMinimumInAnother() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "30.00"),
            Fixture.credit(2, "2.00", accounting: "2.16", currency: "EUR"),
        ])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.reimbursements.map(\.currency) == ["USD"])
        #expect(plan.skips == [Fixture.skip(.belowMinimum, "EUR", "2.00", "2.16")])
        #expect(plan.vendor == .existing(account: "V0001"))
        #expect(plan.outcome == .reimbursed)
    }

    @Test func belowTheMinimumInEveryCurrencyGivesARowPerCurrency() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "3.00", currency: "USD"),
            Fixture.credit(2, "2.00", accounting: "2.16", currency: "EUR"),
            Fixture.credit(3, "1.00", accounting: "1.27", currency: "GBP"),
        ])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.skipSummary == ["EUR:below_minimum", "GBP:below_minimum", "USD:below_minimum"])
        #expect(plan.outcome == .skipped(.belowMinimum))
    }

    @Test func creditsOfOneCurrencyOnSeveralLedgerAccountsAreOneBalance() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "5.00", currency: "EUR", ledger: "130100"),
            Fixture.credit(2, "5.00", currency: "EUR", ledger: "130200"),
        ])
        let plan = try Fixture.planner(minimum: "10.00").plan(customer)
        #expect(plan.reimbursements.count == 1)
        #expect(plan.reimbursements.first?.debits.map(\.ledgerAccount) == ["130100", "130200"])
    }
}
