/// One pass over a customer's transactions collecting what every rule needs, so that each
/// transaction is read once whatever the mode.
///
/// The credit order lives in a buffer the planner allocates on the stack for the duration of
/// one plan: a heap array per customer was a measurable share of the engine's time. The scan
/// must not outlive that buffer.
struct CreditScan {
    /// Indices into the customer's `transactions` of its open credits, ordered by currency,
    /// ledger account, then id: the order of reimbursements, debits and settlements.
    let creditOrder: UnsafeBufferPointer<Int>
    /// Any open debit, in any currency.
    let hasOpenDebit: Bool
    /// Any open transaction (credit or debit) marked for settlement.
    let hasMarkedOpenTransaction: Bool
    /// The customer's whole open credit in accounting currency, positive for credits
    /// (the negated sum of the credits' remaining accounting amounts).
    let wholeCreditAccounting: Int128

    var hasCredits: Bool { !creditOrder.isEmpty }

    /// Scans `transactions`, writing the credit order into `buffer`, which must hold at least
    /// `transactions.count` elements.
    init(_ transactions: [OpenTransaction], buffer: UnsafeMutableBufferPointer<Int>) {
        var hasOpenDebit = false
        var hasMarked = false
        var wholeCreditAccounting: Int128 = 0
        var count = 0
        var needsSorting = false
        // Fields are read in place: copying each transaction would retain its strings.
        for index in transactions.indices {
            let remaining = transactions[index].remainingMicroUnits
            if remaining == 0 { continue }
            if transactions[index].markedForSettlement { hasMarked = true }
            if remaining > 0 {
                hasOpenDebit = true
                continue
            }
            wholeCreditAccounting -= transactions[index].remainingAccountingMicroUnits
            if count > 0 && !needsSorting && !CreditScan.inOrder(transactions[buffer[count - 1]], transactions[index]) {
                needsSorting = true
            }
            buffer[count] = index
            count += 1
        }
        var order = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
        if needsSorting {
            order.sort { CreditScan.inOrder(transactions[$0], transactions[$1]) }
        }
        self.creditOrder = UnsafeBufferPointer(order)
        self.hasOpenDebit = hasOpenDebit
        self.hasMarkedOpenTransaction = hasMarked
        self.wholeCreditAccounting = wholeCreditAccounting
    }

    /// Currency, then ledger account, then id: deterministic output whatever order the store
    /// loaded the rows in.
    static func inOrder(_ first: OpenTransaction, _ second: OpenTransaction) -> Bool {
        if first.currency != second.currency { return first.currency < second.currency }
        if first.ledgerAccount != second.ledgerAccount { return first.ledgerAccount < second.ledgerAccount }
        return first.id < second.id
    }
}
