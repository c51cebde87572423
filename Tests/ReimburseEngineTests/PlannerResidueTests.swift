import ReimburseEngine
import Testing

/// Issue 11, kind 6: a credit open in its own currency whose open accounting amount is zero (a
/// residue after a revaluation or a rounding) is judged like any other balance.
@Suite("Planner: zero accounting residues are judged and posted like any balance")
struct PlannerResidueTests {
    /// Company in USD; a credit -10.00 EUR / -10.80 USD settled -9.99 EUR / -10.80 USD: 0.01 EUR
    /// open, 0.00 USD open.
    static let residue = Fixture.credit(
        1, "10.00", accounting: "10.80", currency: "EUR", settled: "9.99", settledAccounting: "10.80")
    /// A credit -10 EUR / -11 USD settled 0 EUR / -11 USD.
    static let wholeResidue = Fixture.credit(
        2, "10.00", accounting: "11.00", currency: "EUR", settled: "0", settledAccounting: "11.00")

    @Test(arguments: [(residue, "0.01"), (wholeResidue, "10.00")])
    func withMinimumZeroItIsReimbursedWithZeroAccounting(credit: OpenTransaction, open: String) throws {
        let plan = try Fixture.planner(minimum: "0").plan(Fixture.customer([credit]))
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(plan.skips.isEmpty)
        #expect(reimbursement.amount == money(open))
        #expect(reimbursement.amountAccounting == .zero)
        #expect(reimbursement.debits[0].settlements[0].amountAccounting == .zero)
        #expect(reimbursement.voucherLines.reduce(Int128(0)) { $0 + $1.amount.microUnits } == 0)
        #expect(reimbursement.voucherLines.reduce(Int128(0)) { $0 + $1.amountAccounting.microUnits } == 0)
        #expect(reimbursement.voucherLines.map(\.amountAccounting) == [.zero, .zero])
    }

    @Test(arguments: [residue, wholeResidue])
    func withAPositiveMinimumItIsBelowTheMinimumWithZeroAccounting(credit: OpenTransaction) throws {
        let plan = try Fixture.planner(minimum: "5.00").plan(Fixture.customer([credit]))
        #expect(plan.reimbursements.isEmpty)
        #expect(plan.skips.count == 1)
        #expect(plan.skips.first?.reason == .belowMinimum)
        #expect(plan.skips.first?.currency == "EUR")
        #expect(plan.skips.first?.creditBalanceAccounting == .zero)
    }

    /// A mix: a residue and an ordinary credit of the same currency form one balance.
    @Test func aResidueAndAnOrdinaryCreditAreOneBalance() throws {
        let ordinary = Fixture.credit(3, "5.00", accounting: "5.40", currency: "EUR")
        let plan = try Fixture.planner(minimum: "5.00").plan(Fixture.customer([Self.residue, ordinary]))
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(reimbursement.amount == money("5.01"))
        #expect(reimbursement.amountAccounting == money("5.40"))
        #expect(reimbursement.debits[0].settlements.map(\.amountAccounting) == [.zero, money("5.40")])
    }
}
