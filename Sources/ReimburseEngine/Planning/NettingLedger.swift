/// A customer's transactions after netting, and the netting of each currency with open
/// credits (PRODUCT.md §7): per currency (per ledger account with `summarize = false`) the
/// open credits are settled against the open debits oldest first (`transaction_date`, then
/// `id`, on both sides) for the smaller of the two open totals.
///
/// ``adjusted`` is the customer with every netted part already counted as settled, so the
/// ordinary reimbursement builder settles exactly what is left of each credit: the last
/// piece of a credit is its exact remainder by construction.
struct NettingLedger {
    /// The customer with the netted parts settled (credits and debits, both currencies).
    var adjusted: CustomerFacts
    /// Currencies with open credits, ascending by code bytes.
    var currencies: [CurrencyNetting]

    /// Nets every currency of `customer`.
    ///
    /// - Throws: ``EngineError/invalidCustomerData(customer:detail:)`` for an open credit (or
    ///   debit) whose open accounting amount has the other sign, and
    ///   ``EngineError/amountOutOfRange(customer:currency:detail:)`` for sums that do not fit
    ///   `numeric(24,6)`: the customer becomes `invalid_data`.
    init(_ customer: CustomerFacts, summarize: Bool) throws(EngineError) {
        let transactions = customer.transactions
        var creditsByCurrency: [Code: [Int]] = [:]
        var debitsByCurrency: [Code: [Int]] = [:]
        for index in transactions.indices {
            let remaining = transactions[index].remainingMicroUnits
            let remainingAccounting = transactions[index].remainingAccountingMicroUnits
            if remaining < 0 {
                guard remainingAccounting <= 0 else {
                    throw Self.otherSign(customer, transactions[index], "credit")
                }
                creditsByCurrency[transactions[index].currency, default: []].append(index)
            } else if remaining > 0 {
                guard remainingAccounting >= 0 else {
                    throw Self.otherSign(customer, transactions[index], "debit")
                }
                debitsByCurrency[transactions[index].currency, default: []].append(index)
            }
        }
        var adjusted = customer
        var currencies: [CurrencyNetting] = []
        for currency in creditsByCurrency.keys.sorted() {
            currencies.append(try Self.net(
                currency, credits: creditsByCurrency[currency] ?? [], debits: debitsByCurrency[currency] ?? [],
                summarize: summarize, customer: customer, adjusted: &adjusted.transactions))
        }
        self.adjusted = adjusted
        self.currencies = currencies
    }

    /// Oldest first: transaction date, then id.
    static func older(_ first: OpenTransaction, _ second: OpenTransaction) -> Bool {
        if first.transactionDate != second.transactionDate { return first.transactionDate < second.transactionDate }
        return first.id < second.id
    }

    private static func net(
        _ currency: Code, credits: [Int], debits: [Int], summarize: Bool, customer: CustomerFacts,
        adjusted: inout [OpenTransaction]
    ) throws(EngineError) -> CurrencyNetting {
        let transactions = customer.transactions
        var openDebitIDs: [Int64] = []
        var openDebitAmount: Int128 = 0
        var openDebitAccounting: Int128 = 0
        for index in debits {
            openDebitIDs.append(transactions[index].id)
            openDebitAmount += transactions[index].remainingMicroUnits
            openDebitAccounting += transactions[index].remainingAccountingMicroUnits
        }
        openDebitIDs.sort()
        var groups: [CurrencyNetting.Group] = []
        var remainder: Int128 = 0
        var remainderAccounting: Int128 = 0
        let accounts: [Code?] = summarize ? [nil] : Set(credits.map { transactions[$0].ledgerAccount }).sorted()
        for account in accounts {
            var groupCredits = credits.filter { account == nil || transactions[$0].ledgerAccount == account }
            var groupDebits = debits.filter { account == nil || transactions[$0].ledgerAccount == account }
            groupCredits.sort { older(transactions[$0], transactions[$1]) }
            groupDebits.sort { older(transactions[$0], transactions[$1]) }
            var group = try netGroup(groupCredits, groupDebits, customer: customer, adjusted: &adjusted)
            group.ledgerAccount = account
            for index in group.remainingCredits {
                group.remainder -= adjusted[index].remainingMicroUnits
                remainderAccounting -= adjusted[index].remainingAccountingMicroUnits
            }
            remainder += group.remainder
            groups.append(group)
        }
        func fits(_ value: Int128, _ what: String) throws(EngineError) {
            guard !Money.fits(value) else { return }
            throw EngineError.amountOutOfRange(
                customer: customer.account.text, currency: currency.text,
                detail: "\(TransactionList.credits(credits.map { transactions[$0].id })) (\(currency)): \(what) "
                    + "\(DecimalText.format(microUnits: value)) does not fit numeric(24,6) "
                    + "(at most 999999999999999999.999999)")
        }
        try fits(remainder, "the remainder after netting")
        try fits(remainderAccounting, "the remainder after netting in accounting currency")
        try fits(openDebitAmount, "the open debits")
        try fits(openDebitAccounting, "the open debits in accounting currency")
        return CurrencyNetting(
            currency: currency, groups: groups, remainder: remainder, remainderAccounting: remainderAccounting,
            openDebits: OpenDebits(
                ids: openDebitIDs, amount: Money(uncheckedMicroUnits: openDebitAmount),
                amountAccounting: Money(uncheckedMicroUnits: openDebitAccounting)))
    }

    /// Nets one group's credits (oldest first) against its debits (oldest first) and marks the
    /// netted parts settled in `adjusted`.
    private static func netGroup(
        _ credits: [Int], _ debits: [Int], customer: CustomerFacts, adjusted: inout [OpenTransaction]
    ) throws(EngineError) -> CurrencyNetting.Group {
        let transactions = customer.transactions
        var pieces: [PlannedNettingPiece] = []
        var creditPosition = 0
        var debitPosition = 0
        var creditConsumed: Int128 = 0
        var debitConsumed: Int128 = 0
        while creditPosition < credits.count && debitPosition < debits.count {
            let credit = credits[creditPosition]
            let debit = debits[debitPosition]
            let creditOpen = -transactions[credit].remainingMicroUnits
            let creditOpenAccounting = -transactions[credit].remainingAccountingMicroUnits
            let debitOpen = transactions[debit].remainingMicroUnits
            let debitOpenAccounting = transactions[debit].remainingAccountingMicroUnits
            let amount = min(creditOpen - creditConsumed, debitOpen - debitConsumed)
            let creditShare = ProportionalShare.piece(
                openAccounting: creditOpenAccounting, consumedBefore: creditConsumed, piece: amount, open: creditOpen)
            let debitShare = ProportionalShare.piece(
                openAccounting: debitOpenAccounting, consumedBefore: debitConsumed, piece: amount, open: debitOpen)
            // Parts of open amounts that fit numeric(24,6), so each fits too.
            pieces.append(PlannedNettingPiece(
                creditTransactionId: transactions[credit].id, debitTransactionId: transactions[debit].id,
                amount: Money(uncheckedMicroUnits: amount), amountAccounting: Money(uncheckedMicroUnits: creditShare),
                debitAmountAccounting: Money(uncheckedMicroUnits: debitShare)))
            adjusted[credit].settledAmount = Money(uncheckedMicroUnits: adjusted[credit].settledAmount.microUnits - amount)
            adjusted[credit].settledAmountAccounting = Money(
                uncheckedMicroUnits: adjusted[credit].settledAmountAccounting.microUnits - creditShare)
            adjusted[debit].settledAmount = Money(uncheckedMicroUnits: adjusted[debit].settledAmount.microUnits + amount)
            adjusted[debit].settledAmountAccounting = Money(
                uncheckedMicroUnits: adjusted[debit].settledAmountAccounting.microUnits + debitShare)
            creditConsumed += amount
            debitConsumed += amount
            if creditConsumed == creditOpen {
                creditPosition += 1
                creditConsumed = 0
            }
            if debitConsumed == debitOpen {
                debitPosition += 1
                debitConsumed = 0
            }
        }
        var remaining = credits.filter { adjusted[$0].remainingMicroUnits != 0 }
        remaining.sort { CreditScan.inOrder(transactions[$0], transactions[$1]) }
        return CurrencyNetting.Group(ledgerAccount: nil, pieces: pieces, remainingCredits: remaining, remainder: 0)
    }

    private static func otherSign(_ customer: CustomerFacts, _ transaction: OpenTransaction, _ side: String) -> EngineError {
        EngineError.invalidCustomerData(
            customer: customer.account.text,
            detail: "\(side) \(transaction.id) is open for \(DecimalText.format(microUnits: transaction.remainingMicroUnits)) "
                + "\(transaction.currency) but for \(DecimalText.format(microUnits: transaction.remainingAccountingMicroUnits)) "
                + "in accounting currency: an open accounting amount never has the other sign; correct its "
                + "amount_accounting or settled_amount_accounting")
    }
}
