/// Everything the rules need to know about one customer, loaded by the store in one go.
///
/// The planner never queries: the store loads a chunk of customers with their open
/// transactions and vendor facts, so the engine stays pure and testable without a database.
public struct CustomerFacts: Sendable, Hashable {
    /// `customer.account`; named in skips and messages.
    public var account: Code
    /// Copied to a one-time vendor the store creates.
    public var name: String
    /// `customer.customer_group`, used by selection only.
    public var group: Code?
    /// The customer's own currency, copied to a created one-time vendor.
    public var currency: Code
    /// Copied to a created one-time vendor.
    public var address: String
    /// A customer on hold is skipped (`on_hold`).
    public var onHold: Bool
    /// `customer.vendor_account`: the vendor that stands for the same party, when known.
    public var vendorAccount: Code?
    /// Whether `vendorAccount` exists as a vendor of the company; meaningless when
    /// `vendorAccount` is `nil`.
    public var vendorAccountExists: Bool
    /// The lowest one-time vendor account with `customer_account` = this customer, if any:
    /// reused instead of creating another one.
    public var existingOneTimeVendor: Code?
    /// The customer's open transactions, in any order. Fully settled ones may be included;
    /// they are ignored.
    public var transactions: [OpenTransaction]

    /// All fields; vendor facts default to "no vendor link, no one-time vendor yet".
    public init(
        account: Code,
        name: String = "",
        group: Code? = nil,
        currency: Code,
        address: String = "",
        onHold: Bool = false,
        vendorAccount: Code? = nil,
        vendorAccountExists: Bool = false,
        existingOneTimeVendor: Code? = nil,
        transactions: [OpenTransaction]
    ) {
        self.account = account
        self.name = name
        self.group = group
        self.currency = currency
        self.address = address
        self.onHold = onHold
        self.vendorAccount = vendorAccount
        self.vendorAccountExists = vendorAccountExists
        self.existingOneTimeVendor = existingOneTimeVendor
        self.transactions = transactions
    }
}
