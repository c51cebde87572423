import ReimburseEngine
import Testing

@Suite("Planner: a customer whose sums do not fit numeric(24,6) is invalid_data, never the job's failure")
struct PlannerOverflowTests {
    /// The one NULL-currency invalid_data row of a plan, or nil.
    static func invalidData(_ plan: CustomerPlan) -> PlannedSkip? {
        guard plan.reimbursements.isEmpty, plan.skips.count == 1, plan.skips[0].reason == .invalidData,
              plan.skips[0].currency == nil, plan.skips[0].creditBalance == nil
        else { return nil }
        return plan.skips[0]
    }

    @Test func aCurrencyBalanceBeyondTheColumn() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "600000000000000000.00", currency: "EUR"),
            Fixture.credit(2, "600000000000000000.00", currency: "EUR"),
        ])
        let plan = try Fixture.planner().plan(customer)
        let skip = try #require(Self.invalidData(plan), "\(plan)")
        let detail = skip.detail ?? ""
        #expect(detail.contains("credits 1, 2"), "\(detail)")
        #expect(detail.contains("EUR") && detail.contains("1200000000000000000"), "\(detail)")
        #expect(detail.contains("numeric(24,6)"), "\(detail)")
        // The whole open credit does not fit either: NULL.
        #expect(skip.creditBalanceAccounting == nil)
        #expect(plan.outcome == .skipped(.invalidData))
    }

    /// The issue's input: two credits of -999999999999999999.999999; the whole credit in
    /// accounting currency is recorded when it fits (here it does not).
    @Test func twoLargestCreditsOfOneCustomer() throws {
        let customer = Fixture.customer([
            Fixture.credit(5, "999999999999999999.999999"),
            Fixture.credit(6, "999999999999999999.999999"),
        ])
        let skip = try #require(Self.invalidData(try Fixture.planner().plan(customer)))
        #expect(skip.detail?.contains("1999999999999999999.999998") == true, "\(skip.detail ?? "")")
        #expect(skip.detail?.contains("credits 5, 6") == true)
    }

    @Test func theLargestBalanceThatFitsIsReimbursed() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "600000000000000000.00"),
            Fixture.credit(2, "399999999999999999.999999"),
        ])
        #expect(try Fixture.planner().plan(customer).reimbursements.first?.amount == .max)
    }

    /// A NULL-currency row whose whole credit does not fit records NULL (the contract), and
    /// keeps its reason.
    @Test func theWholeCreditOfASkippedCustomerBeyondTheColumn() throws {
        let customer = Fixture.customer(
            [
                Fixture.credit(1, "900000000000000000.00", currency: "EUR"),
                Fixture.credit(2, "900000000000000000.00", currency: "GBP"),
            ],
            onHold: true)
        let plan = try Fixture.planner().plan(customer)
        #expect(plan.skips == [PlannedSkip(currency: nil, reason: .onHold, creditBalance: nil, creditBalanceAccounting: nil)])
    }

    @Test func aCreditSettledWithTheWrongSignBeyondTheColumn() throws {
        let broken = OpenTransaction(
            id: 77, currency: "USD", amount: .min, amountAccounting: .min, settledAmount: money("1"),
            settledAmountAccounting: money("1"), ledgerAccount: "130100")
        let skip = try #require(Self.invalidData(try Fixture.planner().plan(Fixture.customer([broken]))))
        #expect(skip.detail?.contains("credit 77") == true, "\(skip.detail ?? "")")
    }

    /// An open credit whose open accounting amount has the other sign is data the rules
    /// cannot use: invalid_data naming it.
    @Test func anAccountingAmountOfTheOtherSign() throws {
        let broken = Fixture.credit(9, "10.00", accounting: "10.00", settled: "5.00", settledAccounting: "12.00")
        let skip = try #require(Self.invalidData(try Fixture.planner().plan(Fixture.customer([broken]))))
        #expect(skip.detail?.contains("credit 9") == true && skip.detail?.contains("other sign") == true)
    }

    @Test func aDueDateOutsideTheCalendar() throws {
        let planner = Fixture.planner(paymentDays: 3_000_000)
        #expect(throws: EngineError.dueDateOutOfRange(company: "USMF", postingDate: Fixture.postingDate, paymentDays: 3_000_000)) {
            try planner.plan(Fixture.customer([Fixture.credit(1, "1.00")]))
        }
        // Customers that post nothing do not need a due date.
        #expect(try planner.plan(Fixture.customer([Fixture.debit(1, "1.00")])) == .noCreditBalance)
        #expect(try planner.plan(Fixture.customer([Fixture.credit(1, "1.00")], onHold: true)).outcome == .skipped(.onHold))
    }
}
