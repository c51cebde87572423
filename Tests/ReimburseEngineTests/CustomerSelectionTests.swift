import ReimburseEngine
import Testing

@Suite("Customer selection follows the contract's either-list rule")
struct CustomerSelectionTests {
    @Test func bothListsNullSelectEveryone() {
        #expect(CustomerSelection.everyone.matches(account: "C1", group: "RETAIL"))
        #expect(CustomerSelection(accounts: nil, groups: nil).matches(account: "C1", group: nil))
    }

    @Test func accountsOnly() {
        let selection = CustomerSelection(accounts: ["C1", "C2"])
        #expect(selection.matches(account: "C1", group: "RETAIL"))
        #expect(!selection.matches(account: "C3", group: "RETAIL"))
    }

    @Test func groupsOnly() {
        let selection = CustomerSelection(groups: ["RETAIL"])
        #expect(selection.matches(account: "C9", group: "RETAIL"))
        #expect(!selection.matches(account: "C9", group: "WHOLESALE"))
        #expect(!selection.matches(account: "C9", group: nil))
    }

    @Test func eitherGivenListSelects() {
        let selection = CustomerSelection(accounts: ["C1"], groups: ["RETAIL"])
        #expect(selection.matches(account: "C1", group: "WHOLESALE"))
        #expect(selection.matches(account: "C2", group: "RETAIL"))
        #expect(!selection.matches(account: "C2", group: "WHOLESALE"))
    }

    @Test func anEmptyListSelectsNobodyFromIt() {
        #expect(!CustomerSelection(accounts: []).matches(account: "C1", group: "RETAIL"))
        #expect(!CustomerSelection(groups: []).matches(account: "C1", group: "RETAIL"))
        #expect(!CustomerSelection(accounts: [], groups: []).matches(account: "C1", group: "RETAIL"))
        #expect(CustomerSelection(accounts: [], groups: ["RETAIL"]).matches(account: "C1", group: "RETAIL"))
        #expect(CustomerSelection(accounts: ["C1"], groups: []).matches(account: "C1", group: "RETAIL"))
    }

    @Test func matchingIsExact() {
        let selection = CustomerSelection(accounts: ["C1"], groups: ["RETAIL"])
        #expect(!selection.matches(account: "c1", group: "retail"))
        #expect(!selection.matches(account: "C1 ", group: nil))
    }
}
