/// One reimbursement to post atomically: the `reimbursement` row, its debits and
/// settlements, the vendor invoice and the voucher.
///
/// Everything that is arithmetic is decided here, so the store only assigns numbers from the
/// sequences and writes rows. The vendor invoice is not a separate value: it is, by the
/// contract, this reimbursement's currency, amount and accounting amount, due on
/// ``dueDate``.
public struct PlannedReimbursement: Sendable, Hashable {
    /// Transaction currency of the credits, the reimbursement and the vendor invoice.
    public var currency: Code
    /// Positive, in `currency`.
    public var amount: Money
    /// Positive (for sane data), in accounting currency.
    public var amountAccounting: Money
    /// One per distinct ledger account of the credits, ascending by account.
    public var debits: [PlannedDebit]
    /// The voucher: one debit line per entry of `debits` in the same order, then one credit
    /// line to the company's vendor summary account, then (netting) the `customer_netting` and
    /// `exchange_difference` lines. Sums to zero in both currencies.
    public var voucherLines: [PlannedLedgerLine]
    /// Due date of the vendor invoice: posting date + the company's payment days.
    public var dueDate: LocalDate
    /// `debit_handling = 'net'`: the netting settled in the same atomic unit and voucher
    /// (PRODUCT.md §7); its lines follow the vendor summary line in ``voucherLines``. `nil`
    /// for the other debit handlings.
    public var netting: PlannedNetting?

    /// All fields; the planner is the only producer that guarantees the sums agree.
    public init(
        currency: Code,
        amount: Money,
        amountAccounting: Money,
        debits: [PlannedDebit],
        voucherLines: [PlannedLedgerLine],
        dueDate: LocalDate,
        netting: PlannedNetting? = nil
    ) {
        self.currency = currency
        self.amount = amount
        self.amountAccounting = amountAccounting
        self.debits = debits
        self.voucherLines = voucherLines
        self.dueDate = dueDate
        self.netting = netting
    }
}
