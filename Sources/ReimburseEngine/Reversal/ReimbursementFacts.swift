/// One posted reimbursement as a reversal needs to judge and mirror it (PRODUCT.md §8): the
/// row itself, its vendor invoice, its voucher lines, its own debit transactions, its
/// settlements and the transactions they settled as they are now.
public struct ReimbursementFacts: Sendable, Hashable {
    public var id: Int64
    public var customerAccount: Code
    public var currency: Code
    /// Positive, as posted.
    public var amount: Money
    public var amountAccounting: Money
    public var voucher: String
    public var postingDate: LocalDate
    /// `nil` when the invoice the reimbursement names does not exist.
    public var invoice: InvoiceFacts?
    /// A `reimbursement_reversal` row exists for it.
    public var reversed: Bool
    /// Its voucher's lines, in line order.
    public var ledgerLines: [LedgerLineFacts]
    /// Its own customer transactions of kind `reimbursement` (its voucher, its customer).
    public var debits: [TransactionFacts]
    /// Its `customer_settlement` rows, whatever their kind.
    public var settlements: [SettlementFacts]
    /// Every transaction a settlement names, as it is now, by id.
    public var settledTransactions: [Int64: TransactionFacts]

    public init(
        id: Int64, customerAccount: Code, currency: Code, amount: Money, amountAccounting: Money, voucher: String,
        postingDate: LocalDate, invoice: InvoiceFacts?, reversed: Bool, ledgerLines: [LedgerLineFacts],
        debits: [TransactionFacts], settlements: [SettlementFacts], settledTransactions: [Int64: TransactionFacts]
    ) {
        self.id = id
        self.customerAccount = customerAccount
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.voucher = voucher
        self.postingDate = postingDate
        self.invoice = invoice
        self.reversed = reversed
        self.ledgerLines = ledgerLines
        self.debits = debits
        self.settlements = settlements
        self.settledTransactions = settledTransactions
    }

    /// The reimbursement in words, for `reimbursement_skip.detail`.
    public var name: String { "reimbursement \(id) (voucher \(voucher), \(amount) \(currency.text))" }
}

/// The vendor invoice of a reimbursement: what is paid of it, whether it is cancelled.
public struct InvoiceFacts: Sendable, Hashable {
    public var id: Int64
    public var invoiceNumber: String
    public var amount: Money
    /// Raised by accounts payable when it pays; 0 while open.
    public var settledAmount: Money
    /// Set when a reversal cancelled it.
    public var reversalID: Int64?

    public init(id: Int64, invoiceNumber: String, amount: Money, settledAmount: Money, reversalID: Int64?) {
        self.id = id
        self.invoiceNumber = invoiceNumber
        self.amount = amount
        self.settledAmount = settledAmount
        self.reversalID = reversalID
    }
}

/// One `ledger_entry` line of the original voucher.
public struct LedgerLineFacts: Sendable, Hashable {
    public var line: Int
    public var account: Code
    /// As stored: any posting type, so that lines of later kinds (netting) mirror too.
    public var postingType: String
    public var amount: Money
    public var amountAccounting: Money

    public init(line: Int, account: Code, postingType: String, amount: Money, amountAccounting: Money) {
        self.line = line
        self.account = account
        self.postingType = postingType
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}

/// A customer transaction as it is now.
public struct TransactionFacts: Sendable, Hashable {
    public var id: Int64
    public var ledgerAccount: Code
    /// Signed: debits positive, credits negative.
    public var amount: Money
    public var amountAccounting: Money
    /// Same sign as the amount, never beyond it.
    public var settledAmount: Money
    public var settledAmountAccounting: Money

    public init(
        id: Int64, ledgerAccount: Code, amount: Money, amountAccounting: Money, settledAmount: Money,
        settledAmountAccounting: Money
    ) {
        self.id = id
        self.ledgerAccount = ledgerAccount
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.settledAmount = settledAmount
        self.settledAmountAccounting = settledAmountAccounting
    }
}

/// One `customer_settlement` row: positive amounts, the credit side's accounting amount, and
/// the debit side's when it differs (netting records it as `debit_amount_accounting`).
public struct SettlementFacts: Sendable, Hashable {
    public var id: Int64
    public var debitTransactionID: Int64
    public var creditTransactionID: Int64
    public var amount: Money
    public var amountAccounting: Money
    public var debitAmountAccounting: Money?

    public init(
        id: Int64, debitTransactionID: Int64, creditTransactionID: Int64, amount: Money, amountAccounting: Money,
        debitAmountAccounting: Money? = nil
    ) {
        self.id = id
        self.debitTransactionID = debitTransactionID
        self.creditTransactionID = creditTransactionID
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.debitAmountAccounting = debitAmountAccounting
    }
}
