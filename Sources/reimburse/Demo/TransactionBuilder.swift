import ReimburseEngine

/// Writes the open transactions that put a customer in its ``SampleSituation``, with voucher
/// numbers and dates of one company.
struct TransactionBuilder {
    let company: SampleCompany
    private var voucherNumber = 0
    private static let firstDay = LocalDate(year: 2025, month: 1, day: 1)!

    init(company: SampleCompany) {
        self.company = company
    }

    /// An ordinary credit: comfortably above the minimum.
    private func creditCents(using generator: inout SplitMix64) -> Int {
        company.minimumCents + Int.random(in: 500...250_000, using: &generator)
    }

    private mutating func transaction(
        _ account: String, kind: String, cents: Int, currency: String? = nil, ledger: String = "1200",
        using generator: inout SplitMix64
    ) -> SampleTransaction {
        voucherNumber += 1
        let prefix = kind == "invoice" ? "INV" : kind == "payment" ? "PAY" : "CN"
        let day = LocalDate(daysSince1970: Self.firstDay.daysSince1970 + Int.random(in: 0..<365, using: &generator))!
        let currency = currency ?? company.currency
        let accounting = currency == company.currency
            ? cents
            : Cents.convert(cents, numerator: company.foreignRateNumerator, denominator: company.foreignRateDenominator)
        return SampleTransaction(
            customerAccount: account, voucher: "\(prefix)-\(SampleDataGenerator.padded(voucherNumber, 7))",
            date: day.description, kind: kind, currency: currency, amountCents: cents, accountingCents: accounting,
            ledgerAccount: ledger)
    }

    private mutating func credit(
        _ account: String, cents: Int, currency: String? = nil, ledger: String = "1200",
        using generator: inout SplitMix64
    ) -> SampleTransaction {
        let kind = Bool.random(using: &generator) ? "payment" : "credit_note"
        return transaction(account, kind: kind, cents: -cents, currency: currency, ledger: ledger, using: &generator)
    }

    /// A paid invoice: settled history that must not count as open.
    mutating func settledHistory(_ account: String, using generator: inout SplitMix64) -> [SampleTransaction] {
        let cents = Int.random(in: 1_000...90_000, using: &generator)
        var invoice = transaction(account, kind: "invoice", cents: cents, using: &generator)
        var payment = transaction(account, kind: "payment", cents: -cents, using: &generator)
        invoice.settledCents = invoice.amountCents
        invoice.settledAccountingCents = invoice.accountingCents
        payment.settledCents = payment.amountCents
        payment.settledAccountingCents = payment.accountingCents
        return [invoice, payment]
    }

    mutating func openTransactions(
        for situation: SampleSituation, account: String, using generator: inout SplitMix64
    ) -> [SampleTransaction] {
        switch situation {
        case .ownVendor, .existingOneTimeVendor, .vendorMissing, .onHold:
            return [credit(account, cents: creditCents(using: &generator), using: &generator)]
        case .newOneTimeVendor:
            var open = credit(account, cents: creditCents(using: &generator), using: &generator)
            if Int.random(in: 0..<3, using: &generator) == 0 {
                // Partly settled earlier: only the rest is reimbursed.
                open.settledCents = open.amountCents / 4
                open.settledAccountingCents = open.accountingCents / 4
            }
            return [open]
        case .pendingSettlement:
            var marked = credit(account, cents: creditCents(using: &generator), using: &generator)
            marked.markedForSettlement = true
            return [marked]
        case .openDebits:
            return [
                credit(account, cents: creditCents(using: &generator), using: &generator),
                transaction(account, kind: "invoice", cents: Int.random(in: 1_000...20_000, using: &generator),
                            using: &generator),
            ]
        case .belowMinimum:
            let cents = company.minimumCents > 1
                ? Int.random(in: 1..<company.minimumCents, using: &generator) : Int.random(in: 1...99, using: &generator)
            return [credit(account, cents: cents, using: &generator)]
        case .exactlyMinimum:
            guard company.minimumCents > 1 else { return [credit(account, cents: 1, using: &generator)] }
            // Two credits that add up to exactly the minimum: equal counts as reached.
            let first = Int.random(in: 1..<company.minimumCents, using: &generator)
            return [
                credit(account, cents: first, using: &generator),
                credit(account, cents: company.minimumCents - first, using: &generator),
            ]
        case .twoCurrencies:
            // Half of them hold too little in the foreign currency: judged per currency.
            let foreign = Bool.random(using: &generator) || company.minimumCents == 0
                ? creditCents(using: &generator) : Int.random(in: 1...max(1, company.minimumCents / 2), using: &generator)
            return [
                credit(account, cents: creditCents(using: &generator), using: &generator),
                credit(account, cents: foreign, currency: company.foreignCurrency, using: &generator),
            ]
        case .twoLedgerAccounts:
            return [
                credit(account, cents: creditCents(using: &generator), ledger: "1200", using: &generator),
                credit(account, cents: creditCents(using: &generator), ledger: "1210", using: &generator),
            ]
        case .noCreditBalance:
            var history = settledHistory(account, using: &generator)
            if Bool.random(using: &generator) {
                history.append(transaction(
                    account, kind: "invoice", cents: Int.random(in: 1_000...20_000, using: &generator), using: &generator))
            }
            return history
        }
    }
}
