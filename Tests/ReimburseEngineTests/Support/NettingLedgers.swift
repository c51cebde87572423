import ReimburseEngine

/// Random but reproducible ledgers for the netting properties: debits and credits in two
/// currencies (the accounting currency and a foreign one at a different rate per
/// transaction), two ledger accounts, a few transaction dates (so that dates tie and the id
/// decides), some transactions partly settled.
struct NettingLedgers {
    static let currencies: [Code] = ["USD", "EUR"]
    static let ledgerAccounts: [Code] = ["130100", "130200"]
    static let exchangeAccount: Code = "780000"

    var random: SplitMix64
    private var nextId: Int64 = 1

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func chance(_ percent: Int) -> Bool { random.below(100) < percent }

    mutating func company() -> CompanyRules {
        CompanyRules(
            id: "USMF", accountingCurrency: "USD",
            minimumReimbursement: money(["0", "0.000001", "10.00", "50.00"][random.below(4)]),
            vendorSummaryAccount: "200100", oneTimeVendorGroup: "ONETIME", paymentDays: 14,
            exchangeDifferenceAccount: NettingLedgers.exchangeAccount)
    }

    mutating func options(mode: JobMode) -> JobOptions {
        JobOptions(debitHandling: .net, summarize: chance(50), postingDate: Fixture.postingDate, mode: mode)
    }

    mutating func transaction(credit: Bool? = nil) -> OpenTransaction {
        let currency = NettingLedgers.currencies[random.below(2)]
        let sign: Int128 = (credit ?? chance(50)) ? -1 : 1
        let amount = chance(10) ? Int128(1 + random.below(100)) : Int128(1 + random.below(200_000_000))
        let rate = currency == "USD" ? 100 : Int128(50 + random.below(151))
        let accounting = chance(3) ? 0 : max(1, amount * rate / 100)
        var settled: Int128 = 0
        var settledAccounting: Int128 = 0
        if chance(15) {
            settled = Int128(random.below(Int(amount)))
            settledAccounting = accounting * settled / amount
        }
        defer { nextId += 1 }
        return OpenTransaction(
            id: nextId, currency: currency,
            amount: Money(microUnits: sign * amount)!, amountAccounting: Money(microUnits: sign * accounting)!,
            settledAmount: Money(microUnits: sign * settled)!,
            settledAmountAccounting: Money(microUnits: sign * settledAccounting)!,
            ledgerAccount: NettingLedgers.ledgerAccounts[random.below(2)], markedForSettlement: chance(1),
            transactionDate: LocalDate(year: 2026, month: 1 + random.below(3), day: 1 + random.below(3))!)
    }

    mutating func customer(_ number: Int) -> CustomerFacts {
        var transactions = (0..<random.below(9)).map { _ in transaction() }
        transactions.shuffle(using: &random)
        return CustomerFacts(
            account: "C\(number)", name: "Customer \(number)", currency: "USD", onHold: chance(1),
            vendorAccount: chance(80) ? "V\(number)" : nil, vendorAccountExists: true, transactions: transactions)
    }

    /// The customer after the preview: unchanged, a new invoice (debit), a debit paid, or a
    /// new credit.
    mutating func changed(_ customer: CustomerFacts) -> CustomerFacts {
        var customer = customer
        switch random.below(4) {
        case 0:
            var debit = transaction(credit: false)
            debit.settledAmount = .zero
            debit.settledAmountAccounting = .zero
            customer.transactions.append(debit)
        case 1:
            if let index = customer.transactions.firstIndex(where: \.isDebit) {
                customer.transactions[index].settledAmount = customer.transactions[index].amount
                customer.transactions[index].settledAmountAccounting = customer.transactions[index].amountAccounting
            }
        case 2:
            var credit = transaction(credit: true)
            credit.settledAmount = .zero
            credit.settledAmountAccounting = .zero
            customer.transactions.append(credit)
        default:
            break
        }
        return customer
    }
}
