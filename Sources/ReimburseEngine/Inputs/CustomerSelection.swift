/// Which customers of the company a job covers (`customer_accounts`, `customer_groups`).
///
/// The store selects in SQL; this type states the same rule in one place so that tests pin
/// it and in-memory callers (benchmarks, tools) cannot drift from it.
public struct CustomerSelection: Sendable, Hashable {
    /// Customer accounts to include; `nil` means this list does not select anyone by itself.
    public var accounts: [Code]?
    /// Customer groups to include; `nil` means this list does not select anyone by itself.
    public var groups: [Code]?

    /// Both `nil`: every customer of the company.
    public init(accounts: [Code]? = nil, groups: [Code]? = nil) {
        self.accounts = accounts
        self.groups = groups
    }

    /// Every customer of the company.
    public static let everyone = CustomerSelection()

    /// The contract's rule: when both lists are `nil` everyone is selected; otherwise a
    /// customer is selected when it matches either list that is given. An empty list selects
    /// nobody from that list (it does not mean "all"), and a customer without a group matches
    /// no group list, as `NULL = ANY(...)` in SQL.
    public func matches(account: Code, group: Code?) -> Bool {
        if accounts == nil && groups == nil { return true }
        if let accounts, accounts.contains(account) { return true }
        if let groups, let group, groups.contains(group) { return true }
        return false
    }
}
