import ReimburseEngine
import Testing

@Suite("Planner: which vendor is paid")
struct PlannerVendorTests {
    let credits = [Fixture.credit(1, "50.00"), Fixture.credit(2, "3.00", accounting: "3.24", currency: "EUR")]
    let planner = Fixture.planner(minimum: "10.00")

    @Test func theCustomersOwnVendor() throws {
        let plan = try planner.plan(Fixture.customer(credits, vendorAccount: "V0042", vendorAccountExists: true))
        #expect(plan.vendor == .existing(account: "V0042"))
        #expect(plan.proposals.map(\.vendorAccount) == ["V0042"])
    }

    @Test func theOwnVendorWinsOverAnEarlierOneTimeVendor() throws {
        let customer = Fixture.customer(credits, vendorAccount: "V0042", existingOneTimeVendor: "OTV0001")
        #expect(try planner.plan(customer).vendor == .existing(account: "V0042"))
    }

    @Test func aMissingOwnVendorSkipsTheCustomerButKeepsTheOtherCurrenciesRows() throws {
        let customer = Fixture.customer(credits, vendorAccount: "V0404", vendorAccountExists: false, existingOneTimeVendor: "OTV0001")
        let plan = try planner.plan(customer)
        #expect(plan.reimbursements.isEmpty && plan.vendor == nil)
        #expect(plan.skips == [Fixture.skip(.vendorNotFound, nil, nil, "53.24"), Fixture.skip(.belowMinimum, "EUR", "3.00", "3.24")])
        #expect(plan.outcome == .skipped(.vendorNotFound))
    }

    @Test func aMissingVendorIsOnlyReportedWhenSomethingReachedTheMinimum() throws {
        let customer = Fixture.customer([Fixture.credit(1, "5.00")], vendorAccount: "V0404", vendorAccountExists: false)
        #expect(try planner.plan(customer).skipSummary == ["USD:below_minimum"])
    }

    @Test func theEarlierOneTimeVendor() throws {
        let customer = Fixture.customer(credits, vendorAccount: nil, existingOneTimeVendor: "OTV0007")
        let plan = try planner.plan(customer)
        #expect(plan.vendor == .existingOneTime(account: "OTV0007"))
        #expect(plan.proposals.map(\.vendorAccount) == ["OTV0007"])
    }

    @Test func aNewOneTimeVendor() throws {
        let customer = Fixture.customer(credits, vendorAccount: nil, vendorAccountExists: true)
        let plan = try planner.plan(customer)
        #expect(plan.vendor == .createOneTime)
        #expect(plan.proposals.map(\.vendorAccount) == [nil])
        #expect(VendorResolution.createOneTime.knownAccount == nil)
    }
}
