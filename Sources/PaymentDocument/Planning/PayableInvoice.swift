public import ReimburseEngine

/// A vendor invoice a pay job looks at, with what the rules of PRODUCT.md section 9 need.
public struct PayableInvoice: Sendable, Hashable {
    public var id: Int64
    public var invoiceNumber: String
    public var vendorAccount: Code
    /// The vendor's name (the creditor), nil when the vendor has none.
    public var vendorName: String?
    public var currency: Code
    public var amount: Money
    public var amountAccounting: Money
    public var settledAmount: Money
    /// Cancelled by a reversal.
    public var cancelled: Bool
    /// The reimbursement that created it, its voucher and customer (remittance text).
    public var reimbursementID: Int64
    public var reimbursementVoucher: String
    public var customerAccount: Code
    public var customerName: String?
    /// The vendor's bank account now, nil when it has none.
    public var creditorIBAN: String?
    public var creditorBIC: String?
    /// The pay preview job holding it (another run's unfinished preview), nil when none.
    public var heldByPreview: Int64?

    public init(
        id: Int64, invoiceNumber: String, vendorAccount: Code, vendorName: String?, currency: Code, amount: Money,
        amountAccounting: Money, settledAmount: Money, cancelled: Bool, reimbursementID: Int64,
        reimbursementVoucher: String, customerAccount: Code, customerName: String?, creditorIBAN: String?,
        creditorBIC: String?, heldByPreview: Int64?
    ) {
        self.id = id
        self.invoiceNumber = invoiceNumber
        self.vendorAccount = vendorAccount
        self.vendorName = vendorName
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.settledAmount = settledAmount
        self.cancelled = cancelled
        self.reimbursementID = reimbursementID
        self.reimbursementVoucher = reimbursementVoucher
        self.customerAccount = customerAccount
        self.customerName = customerName
        self.creditorIBAN = creditorIBAN
        self.creditorBIC = creditorBIC
        self.heldByPreview = heldByPreview
    }
}

/// What an approved preview decided for one invoice: the amount and the creditor's bank
/// account (IBAN and BIC: a generic transfer is routed by the BIC, so a changed BIC is another
/// payee's bank as much as a changed IBAN).
public struct PaymentProposal: Sendable, Hashable {
    public var amount: Money
    public var creditorIBAN: String
    public var creditorBIC: String?

    public init(amount: Money, creditorIBAN: String, creditorBIC: String? = nil) {
        self.amount = amount
        self.creditorIBAN = creditorIBAN
        self.creditorBIC = creditorBIC
    }
}
