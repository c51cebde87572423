import ReimburseEngine
import Testing

@Suite("Planner: debit handling skip and include")
struct PlannerDebitHandlingTests {
    let customer = Fixture.customer([
        Fixture.credit(1, "40.00"),
        Fixture.debit(2, "15.00", currency: "EUR", ledger: "130200"),
    ])

    @Test func skipSkipsACustomerWithAnOpenDebitInAnyCurrency() throws {
        let plan = try Fixture.planner(debitHandling: .skip).plan(customer)
        #expect(plan.skips == [Fixture.skip(.openDebits, nil, nil, "40.00")])
        #expect(plan.reimbursements.isEmpty)
    }

    @Test func skipIgnoresSettledDebits() throws {
        let settledDebit = Fixture.customer([Fixture.credit(1, "40.00"), Fixture.debit(2, "15.00", settled: "15.00")])
        #expect(try Fixture.planner(debitHandling: .skip).plan(settledDebit).outcome == .reimbursed)
    }

    @Test func includeReimbursesCreditsInFullAndLeavesDebitsAlone() throws {
        let plan = try Fixture.planner(debitHandling: .include).plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(plan.reimbursements.count == 1)
        #expect(reimbursement.amount == money("40.00"))
        #expect(reimbursement.creditTransactionIds == [1])
        #expect(plan.skips.isEmpty)
    }

    @Test func includeWithADebitInTheSameCurrencyStillReimbursesTheFullCredit() throws {
        let sameCurrency = Fixture.customer([Fixture.credit(1, "40.00"), Fixture.debit(2, "15.00")])
        let plan = try Fixture.planner(debitHandling: .include).plan(sameCurrency)
        #expect(plan.reimbursements.map(\.amount) == [money("40.00")])
    }
}
