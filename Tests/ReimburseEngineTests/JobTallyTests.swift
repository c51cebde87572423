import ReimburseEngine
import Testing

@Suite("Job tally: each customer counted once, totals exact, result JSON in the contract's shape")
struct JobTallyTests {
    let planner = Fixture.planner(minimum: "10.00")

    @Test func countsEachCustomerOnceUnderOneBucket() throws {
        var tally = JobTally()
        let customers: [CustomerFacts] = [
            Fixture.customer([]),
            Fixture.customer([Fixture.credit(1, "30.00"), Fixture.credit(2, "2.00", accounting: "2.20", currency: "EUR")]),
            Fixture.customer([Fixture.credit(3, "15.00", accounting: "16.50", currency: "EUR")], vendorAccount: nil),
            Fixture.customer([Fixture.credit(4, "1.00"), Fixture.credit(5, "1.00", currency: "EUR")]),
            Fixture.customer(
                [Fixture.credit(6, "50.00"), Fixture.credit(7, "1.00", currency: "EUR")], vendorAccountExists: false),
            Fixture.customer([Fixture.credit(8, "50.00")], onHold: true),
        ]
        for customer in customers { try tally.record(planner.plan(customer)) }
        #expect(tally.selected == 6)
        #expect(tally.noCreditBalance == 1)
        #expect(tally.reimbursedCustomers == 2)
        #expect(tally.skipped == [.belowMinimum: 1, .vendorNotFound: 1, .onHold: 1])
        #expect(tally.reimbursements == 2)
        #expect(tally.totals["USD"] == CurrencyTotal(amount: money("30.00"), amountAccounting: money("30.00")))
        #expect(tally.totals["EUR"] == CurrencyTotal(amount: money("15.00"), amountAccounting: money("16.50")))
    }

    @Test func resultJSONHasTheContractsShape() throws {
        let tally = JobTally(
            selected: 6, reimbursedCustomers: 2, noCreditBalance: 1,
            skipped: [.belowMinimum: 1, .vendorNotFound: 1, .onHold: 1], reimbursements: 3,
            totals: [
                "USD": CurrencyTotal(amount: money("30"), amountAccounting: money("30")),
                "EUR": CurrencyTotal(amount: money("15.000001"), amountAccounting: money("16.5")),
            ])
        #expect(
            tally.resultJSON()
                == #"{"customers": {"no_credit_balance": 1, "reimbursed": 2, "selected": 6, "skipped": {"#
                + #""below_minimum": 1, "changed_since_preview": 0, "invalid_data": 0, "on_hold": 1, "open_debits": 0, "#
                + #""pending_settlement": 0, "vendor_not_found": 1}}, "reimbursements": 3, "totals": {"#
                + #""EUR": {"amount": "15.000001", "amount_accounting": "16.50"}, "#
                + #""USD": {"amount": "30.00", "amount_accounting": "30.00"}}}"#)
    }

    @Test func anEmptyJobHasAllKeys() {
        #expect(
            JobTally().resultJSON()
                == #"{"customers": {"no_credit_balance": 0, "reimbursed": 0, "selected": 0, "skipped": {"#
                + #""below_minimum": 0, "changed_since_preview": 0, "invalid_data": 0, "on_hold": 0, "open_debits": 0, "#
                + #""pending_settlement": 0, "vendor_not_found": 0}}, "reimbursements": 0, "totals": {}}"#)
    }

    @Test func currencyCodesAreEscaped() {
        let tally = JobTally(totals: ["A\"B\\\n": CurrencyTotal()])
        #expect(tally.resultJSON().contains(#""A\"B\\\n": {"amount": "0.00""#))
        let control = JobTally(totals: ["\u{1}": CurrencyTotal()])
        #expect(control.resultJSON().contains(#""\u0001""#))
    }

    @Test func mergesChunks() throws {
        var first = JobTally()
        var second = JobTally()
        try first.record(planner.plan(Fixture.customer([Fixture.credit(1, "30.00")])))
        try second.record(planner.plan(Fixture.customer([Fixture.credit(2, "20.00")])))
        try second.record(planner.plan(Fixture.customer([Fixture.credit(3, "2.00")])))
        var merged = first
        try merged.merge(second)
        #expect(merged.selected == 3 && merged.reimbursedCustomers == 2 && merged.reimbursements == 2)
        #expect(merged.skipped == [.belowMinimum: 1])
        #expect(merged.totals["USD"]?.amount == money("50.00"))
    }

    @Test func aTotalBeyondTheColumnIsReportedAndLeavesTheTallyUnchanged() throws {
        let big = try Fixture.planner().plan(Fixture.customer([Fixture.credit(1, "600000000000000000")]))
        var tally = JobTally()
        try tally.record(big)
        let before = tally
        #expect(throws: EngineError.self) { try tally.record(big) }
        #expect(tally == before)
        do {
            try tally.record(big)
        } catch {
            #expect(error.description.contains("job total in USD"))
        }
    }

    @Test func aPlanWithSeveralReimbursementsIsAddedWholeOrNotAtAll() throws {
        let planner = Fixture.planner(summarize: false)
        let customer = Fixture.customer([
            Fixture.credit(1, "1.00", currency: "EUR", ledger: "130100"),
            Fixture.credit(2, "600000000000000000", ledger: "130100"),
            Fixture.credit(3, "1.00", ledger: "130200"),
        ])
        let plan = try planner.plan(customer)
        #expect(plan.reimbursements.map(\.currency) == ["EUR", "USD", "USD"])
        var tally = JobTally()
        try tally.record(plan)
        #expect(tally.totals["USD"]?.amount == money("600000000000000001.00"))
        let before = tally
        #expect(throws: EngineError.totalOutOfRange(currency: "USD", detail: "the total 1200000000000000002.00 does not fit numeric(24,6)")) {
            try tally.record(plan)
        }
        #expect(tally == before)
    }

    @Test func publicFieldsRebuildAnEqualTally() throws {
        var tally = JobTally()
        try tally.record(planner.plan(Fixture.customer([Fixture.credit(1, "30.00", currency: "USD")])))
        try tally.record(planner.plan(Fixture.customer([Fixture.credit(2, "20.00", currency: "EUR")])))
        try tally.record(planner.plan(Fixture.customer([Fixture.credit(3, "2.00")])))
        let rebuilt = JobTally(
            selected: tally.selected, reimbursedCustomers: tally.reimbursedCustomers, noCreditBalance: tally.noCreditBalance,
            skipped: tally.skipped, reimbursements: tally.reimbursements, totals: tally.totals)
        #expect(rebuilt == tally)
        #expect(rebuilt.resultJSON() == tally.resultJSON())
        var edited = JobTally()
        edited.totals = ["USD": CurrencyTotal(amount: money("1"), amountAccounting: money("1"))]
        edited.skipped[.openDebits] = 2
        #expect(edited.skipped == [.openDebits: 2])
        #expect(edited.totals.keys.sorted() == ["USD"])
    }
}
