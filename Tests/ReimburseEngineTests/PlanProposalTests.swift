import ReimburseEngine
import Testing

@Suite("Plans become proposals: one per reimbursement")
struct PlanProposalTests {
    @Test func oneProposalPerReimbursementWithSortedCredits() throws {
        let customer = Fixture.customer([
            Fixture.credit(9, "1.00", ledger: "130200"),
            Fixture.credit(4, "2.00", ledger: "130100"),
            Fixture.credit(6, "3.00", accounting: "3.30", currency: "EUR"),
        ])
        let summarized = try Fixture.planner(mode: .preview).plan(customer).proposals
        #expect(
            summarized == [
                ReimbursementProposal(
                    currency: "EUR", amount: money("3.00"), amountAccounting: money("3.30"), creditTransactionIds: [6],
                    vendorAccount: "V0001"),
                ReimbursementProposal(
                    currency: "USD", amount: money("3.00"), amountAccounting: money("3.00"), creditTransactionIds: [4, 9],
                    vendorAccount: "V0001"),
            ])
        let perLedger = try Fixture.planner(summarize: false, mode: .preview).plan(customer).proposals
        #expect(perLedger.map(\.creditTransactionIds) == [[6], [4], [9]])
    }

    @Test func nothingToProposeForSkippedOrEmptyCustomers() throws {
        #expect(CustomerPlan.noCreditBalance.proposals.isEmpty)
        let held = try Fixture.planner().plan(Fixture.customer([Fixture.credit(1, "5.00")], onHold: true))
        #expect(held.proposals.isEmpty)
    }
}
