/// A `reimbursement_reversal_proposal` row: what a reverse preview showed for one
/// reimbursement, which an approval reverses only if it is still so.
public struct ReversalProposal: Sendable, Hashable {
    public var customerAccount: Code
    public var currency: Code
    public var amount: Money
    public var amountAccounting: Money
    public var voucher: String
    /// The credits the reversal reopens, ascending.
    public var creditTransactionIds: [Int64]

    public init(
        customerAccount: Code, currency: Code, amount: Money, amountAccounting: Money, voucher: String,
        creditTransactionIds: [Int64]
    ) {
        self.customerAccount = customerAccount
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.voucher = voucher
        self.creditTransactionIds = creditTransactionIds
    }

    /// The proposal a preview writes for `reversal`.
    public init(_ reversal: PlannedReversal) {
        self.init(
            customerAccount: reversal.customerAccount, currency: reversal.currency, amount: reversal.amount,
            amountAccounting: reversal.amountAccounting, voucher: reversal.originalVoucher,
            creditTransactionIds: reversal.creditTransactionIds)
    }
}
