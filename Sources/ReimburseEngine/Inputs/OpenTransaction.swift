/// One customer transaction as the store loads it: the signed amounts exactly as in
/// `customer_transaction`, so that the rules (not the SQL) decide what is open and what is a
/// credit.
public struct OpenTransaction: Sendable, Hashable {
    /// `customer_transaction.id`; settlements and proposals refer to it.
    public var id: Int64
    /// Transaction currency; balances are taken per currency.
    public var currency: Code
    /// Debit positive, credit negative, in transaction currency.
    public var amount: Money
    /// The same in accounting currency, same sign.
    public var amountAccounting: Money
    /// Already settled part, same sign as `amount`.
    public var settledAmount: Money
    /// Already settled part in accounting currency.
    public var settledAmountAccounting: Money
    /// Receivable account; each distinct one gets its own reimbursement debit and voucher line.
    public var ledgerAccount: Code
    /// A settlement is being prepared elsewhere; touching the customer would race with it.
    public var markedForSettlement: Bool
    /// `customer_transaction.transaction_date`: netting (PRODUCT.md §7) settles the oldest
    /// first, by this date and then by id. The other rules do not look at it.
    public var transactionDate: LocalDate

    /// All fields, as read from the row; settled amounts default to nothing settled, the date to
    /// 0001-01-01 (only netting orders by it).
    public init(
        id: Int64,
        currency: Code,
        amount: Money,
        amountAccounting: Money,
        settledAmount: Money = .zero,
        settledAmountAccounting: Money = .zero,
        ledgerAccount: Code,
        markedForSettlement: Bool = false,
        transactionDate: LocalDate = .earliest
    ) {
        self.id = id
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.settledAmount = settledAmount
        self.settledAmountAccounting = settledAmountAccounting
        self.ledgerAccount = ledgerAccount
        self.markedForSettlement = markedForSettlement
        self.transactionDate = transactionDate
    }
}
