/// One pass over a customer's transactions collecting what every rule needs, so that each
/// transaction is read once whatever the mode.
struct CreditScan {
    /// Indices into the customer's `transactions` of its open credits, ordered by currency,
    /// ledger account, then id: the order of reimbursements, debits and settlements.
    var creditOrder: [Int] = []
    /// Any open debit, in any currency.
    var hasOpenDebit = false
    /// Any open transaction (credit or debit) marked for settlement.
    var hasMarkedOpenTransaction = false
    /// The customer's whole open credit in accounting currency, positive for credits
    /// (the negated sum of the credits' remaining accounting amounts).
    var wholeCreditAccounting: Int128 = 0

    var hasCredits: Bool { !creditOrder.isEmpty }

    init(_ transactions: [OpenTransaction]) {
        var needsSorting = false
        var previous = -1
        for index in transactions.indices {
            let transaction = transactions[index]
            let remaining = transaction.remainingMicroUnits
            if remaining == 0 { continue }
            if transaction.markedForSettlement { hasMarkedOpenTransaction = true }
            if remaining > 0 {
                hasOpenDebit = true
                continue
            }
            wholeCreditAccounting -= transaction.remainingAccountingMicroUnits
            if previous >= 0 && !needsSorting && !CreditScan.inOrder(transactions[previous], transaction) {
                needsSorting = true
            }
            if creditOrder.isEmpty { creditOrder.reserveCapacity(transactions.count) }
            creditOrder.append(index)
            previous = index
        }
        if needsSorting {
            creditOrder.sort { CreditScan.inOrder(transactions[$0], transactions[$1]) }
        }
    }

    /// Currency, then ledger account, then id: deterministic output whatever order the store
    /// loaded the rows in.
    static func inOrder(_ first: OpenTransaction, _ second: OpenTransaction) -> Bool {
        if first.currency != second.currency { return first.currency < second.currency }
        if first.ledgerAccount != second.ledgerAccount { return first.ledgerAccount < second.ledgerAccount }
        return first.id < second.id
    }
}
