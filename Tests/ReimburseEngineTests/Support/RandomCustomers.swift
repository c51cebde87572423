import ReimburseEngine

/// Random but reproducible companies, jobs and customers for the property tests: a few
/// currencies, ledger accounts and vendor situations, so that every rule and most of their
/// combinations occur in a few thousand customers.
struct RandomCustomers {
    static let currencies: [Code] = ["USD", "EUR", "GBP"]
    /// Two of them are one text in Unicode (NFC "1300-\u{C9}" and NFD "1300-E\u{301}") but two
    /// accounts in PostgreSQL: the planner must keep them apart, byte for byte.
    static let ledgerAccounts: [Code] = ["130100", "130200", "130300", "1300-\u{C9}", "1300-E\u{301}"]

    var random: SplitMix64
    private var nextId: Int64 = 1

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &random) < percent
    }

    mutating func pick<T>(_ values: [T]) -> T {
        values[Int.random(in: 0..<values.count, using: &random)]
    }

    mutating func company() -> CompanyRules {
        CompanyRules(
            id: "USMF", accountingCurrency: "USD",
            minimumReimbursement: money(pick(["0", "0.000001", "10.00", "50.00", "100.00"])),
            vendorSummaryAccount: "200100", oneTimeVendorGroup: "ONETIME",
            paymentDays: Int.random(in: 0...60, using: &random))
    }

    mutating func options(mode: JobMode) -> JobOptions {
        JobOptions(
            debitHandling: chance(50) ? .skip : .include, summarize: chance(50), postingDate: Fixture.postingDate,
            mode: mode)
    }

    mutating func amount() -> Int128 {
        chance(10)
            ? Int128(Int.random(in: 1...100, using: &random))
            : Int128(Int.random(in: 1...200_000_000, using: &random))
    }

    mutating func transaction(currency: Code? = nil) -> OpenTransaction {
        let currency = currency ?? pick(RandomCustomers.currencies)
        let sign: Int128 = chance(70) ? -1 : 1
        let amount = amount()
        let rate = currency == "USD" ? 100 : Int128(Int.random(in: 50...200, using: &random))
        let accounting = amount * rate / 100
        var settled: Int128 = 0
        var settledAccounting: Int128 = 0
        if chance(10) {
            settled = amount
            settledAccounting = accounting
        } else if chance(20) {
            settled = Int128.random(in: 0..<amount, using: &random)
            settledAccounting = accounting * settled / amount
        }
        defer { nextId += 1 }
        return OpenTransaction(
            id: nextId, currency: currency,
            amount: Money(microUnits: sign * amount)!, amountAccounting: Money(microUnits: sign * accounting)!,
            settledAmount: Money(microUnits: sign * settled)!,
            settledAmountAccounting: Money(microUnits: sign * settledAccounting)!,
            ledgerAccount: pick(RandomCustomers.ledgerAccounts), markedForSettlement: chance(3))
    }

    mutating func customer(_ number: Int) -> CustomerFacts {
        var transactions = (0..<Int.random(in: 0...6, using: &random)).map { _ in transaction() }
        transactions.shuffle(using: &random)
        let vendorCase = Int.random(in: 0..<100, using: &random)
        return CustomerFacts(
            account: "C\(number)", name: "Customer \(number)", group: pick(["RETAIL", "WHOLESALE"] as [Code]),
            currency: pick(RandomCustomers.currencies), address: "", onHold: chance(3),
            vendorAccount: vendorCase < 70 ? "V\(number)" : nil,
            vendorAccountExists: vendorCase < 60,
            existingOneTimeVendor: vendorCase >= 85 || (vendorCase >= 60 && vendorCase < 65) ? "OTV\(number)" : nil,
            transactions: transactions)
    }

    /// The customer after the preview: sometimes unchanged, sometimes a credit settled, a new
    /// credit, or a changed amount.
    mutating func changed(_ customer: CustomerFacts) -> CustomerFacts {
        var customer = customer
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            if let index = customer.transactions.indices.randomElement(using: &random) {
                customer.transactions[index].settledAmount = customer.transactions[index].amount
            }
        case 1:
            var credit = transaction()
            credit.amount = -credit.amount.magnitude
            credit.amountAccounting = -credit.amountAccounting.magnitude
            credit.settledAmount = .zero
            credit.settledAmountAccounting = .zero
            customer.transactions.append(credit)
        case 2:
            if let index = customer.transactions.indices.randomElement(using: &random) {
                customer.transactions[index].settledAmountAccounting = customer.transactions[index].amountAccounting
            }
        case 3:
            customer.transactions.removeAll { _ in chance(30) }
        default:
            break
        }
        return customer
    }
}
