import ReimburseEngine
import Testing

@Suite("Planner: sums beyond numeric(24,6) fail the job with a message naming customer and amount")
struct PlannerOverflowTests {
    @Test func aCurrencyBalanceBeyondTheColumn() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "600000000000000000.00", currency: "EUR"),
            Fixture.credit(2, "600000000000000000.00", currency: "EUR"),
        ])
        do {
            _ = try Fixture.planner().plan(customer)
            Issue.record("expected amountOutOfRange")
        } catch {
            guard case .amountOutOfRange(let account, let currency, let detail) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(account == Fixture.customerAccount && currency == "EUR")
            #expect(detail.contains("1200000000000000000.00"))
            #expect(error.description.contains("customer C0001"))
            #expect(error.description.contains("numeric(24,6)"))
        }
    }

    @Test func theLargestBalanceThatFitsIsReimbursed() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "600000000000000000.00"),
            Fixture.credit(2, "399999999999999999.999999"),
        ])
        #expect(try Fixture.planner().plan(customer).reimbursements.first?.amount == .max)
    }

    @Test func theWholeCreditOfASkippedCustomerBeyondTheColumn() throws {
        let customer = Fixture.customer(
            [
                Fixture.credit(1, "900000000000000000.00", currency: "EUR"),
                Fixture.credit(2, "900000000000000000.00", currency: "GBP"),
            ],
            onHold: true)
        #expect {
            try Fixture.planner().plan(customer)
        } throws: { error in
            guard case .amountOutOfRange(_, let currency, let detail)? = error as? EngineError else { return false }
            return currency == "USD" && detail.contains("1800000000000000000.00")
        }
    }

    @Test func aCreditSettledWithTheWrongSignBeyondTheColumn() throws {
        let broken = OpenTransaction(
            id: 77, currency: "USD", amount: .min, amountAccounting: .min, settledAmount: money("1"),
            settledAmountAccounting: money("1"), ledgerAccount: "130100")
        #expect {
            try Fixture.planner().plan(Fixture.customer([broken]))
        } throws: { error in
            (error as? EngineError)?.description.contains("USD") == true
        }
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
