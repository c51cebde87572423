/// The settings of one company (legal entity) that decide a reimbursement run.
///
/// A job belongs to exactly one company and the daemon serves many, so the rules travel with
/// the planner instead of being global configuration.
public struct CompanyRules: Sendable, Hashable {
    /// Company code (`company.id`), named in error messages.
    public var id: String
    /// ISO 4217 code; the minimum and every `amountAccounting` are in this currency.
    public var accountingCurrency: Code
    /// A (customer, currency) is reimbursed only from this credit balance in accounting
    /// currency up (equal counts), so that tiny balances do not each cost a payment.
    /// Zero (or less) means any credit balance counts.
    public var minimumReimbursement: Money
    /// Ledger account credited by every reimbursement voucher: the payable side.
    public var vendorSummaryAccount: Code
    /// Vendor group given to one-time vendors that the store creates.
    public var oneTimeVendorGroup: String
    /// Payment term of the vendor invoices: due date = posting date + this many days.
    public var paymentDays: Int
    /// `company.exchange_difference_account`: ledger account of the exchange differences of
    /// netting (PRODUCT.md §7); a `net` job of a company without it fails at start.
    public var exchangeDifferenceAccount: Code?

    /// All fields, as read from the `company` row.
    public init(
        id: String,
        accountingCurrency: Code,
        minimumReimbursement: Money = .zero,
        vendorSummaryAccount: Code,
        oneTimeVendorGroup: String,
        paymentDays: Int = 0,
        exchangeDifferenceAccount: Code? = nil
    ) {
        self.id = id
        self.accountingCurrency = accountingCurrency
        self.minimumReimbursement = minimumReimbursement
        self.vendorSummaryAccount = vendorSummaryAccount
        self.oneTimeVendorGroup = oneTimeVendorGroup
        self.paymentDays = paymentDays
        self.exchangeDifferenceAccount = exchangeDifferenceAccount
    }
}
