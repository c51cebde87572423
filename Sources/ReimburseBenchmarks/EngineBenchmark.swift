import ReimburseEngine

/// Plans many customers in memory to measure the engine alone, so that a slow job can be
/// blamed on the database or on the rules with numbers rather than guesses.
///
/// Generation is not timed. The timed loop is what the store does per customer: plan, then
/// record the plan in the job's tally. It runs on the calling thread (one core), three times;
/// the best round is reported because this machine's noise only ever adds time.
enum EngineBenchmark {
    static func run(customers: Int, transactionsPerCustomer: Int, seed: UInt64) -> String {
        let company = CompanyRules(
            id: "BENCH", accountingCurrency: "USD", minimumReimbursement: Money(exactly: "10.00")!,
            vendorSummaryAccount: "200100", oneTimeVendorGroup: "ONETIME", paymentDays: 14)
        let options = JobOptions(
            debitHandling: .skip, summarize: true, postingDate: LocalDate(year: 2026, month: 3, day: 31)!, mode: .post)
        let planner = ReimbursementPlanner(company: company, options: options)

        let generationStart = ContinuousClock.now
        let facts = generate(customers: customers, transactionsPerCustomer: transactionsPerCustomer, seed: seed)
        let generation = ContinuousClock.now - generationStart
        let openTransactions = facts.reduce(0) { $0 + $1.transactions.count }

        var rounds: [Duration] = []
        var tally = JobTally()
        for _ in 0..<3 {
            tally = JobTally()
            let start = ContinuousClock.now
            do {
                for index in facts.indices {
                    try tally.record(planner.plan(facts[index]))
                }
            } catch {
                return "engine benchmark failed: \(error)"
            }
            rounds.append(ContinuousClock.now - start)
        }
        let best = rounds.min()!
        let seconds = seconds(best)
        return """
            engine benchmark: \(grouped(customers)) customers, \(grouped(openTransactions)) open transactions, \
            seed \(seed), one core
              generation (not timed): \(format(seconds: self.seconds(generation)))
              plan + tally, 3 rounds: \(rounds.map { format(seconds: self.seconds($0)) }.joined(separator: ", "))
              best round: \(grouped(Int(Double(openTransactions) / seconds))) open transactions/s, \
            \(grouped(Int(Double(customers) / seconds))) customers/s, \
            \(Int((seconds / Double(max(customers, 1)) * 1e9).rounded())) ns per customer
              outcome: \(grouped(tally.reimbursedCustomers)) reimbursed, \(grouped(tally.noCreditBalance)) no credit balance, \
            \(tally.skipped.sorted { $0.key < $1.key }.map { "\(grouped($0.value)) \($0.key.rawValue)" }.joined(separator: ", ")); \
            \(grouped(tally.reimbursements)) reimbursements
            """
    }

    /// A plausible mix: most customers have credits in the accounting currency, some in two
    /// currencies or on two ledger accounts, some debits, a few on hold or pending, and the
    /// three vendor situations.
    private static func generate(customers: Int, transactionsPerCustomer: Int, seed: UInt64) -> [CustomerFacts] {
        var random = SplitMix64(seed: seed)
        let currencies: [Code] = ["USD", "USD", "USD", "USD", "USD", "USD", "EUR", "EUR", "GBP", "CAD"]
        let ledgerAccounts: [Code] = ["130100", "130100", "130100", "130200"]
        let rates: [Code: Int128] = ["USD": 100, "EUR": 108, "GBP": 127, "CAD": 73]
        var facts: [CustomerFacts] = []
        facts.reserveCapacity(customers)
        var nextId: Int64 = 1
        for number in 0..<customers {
            var transactions: [OpenTransaction] = []
            transactions.reserveCapacity(transactionsPerCustomer)
            let mainCurrency = currencies[random.below(currencies.count)]
            for _ in 0..<transactionsPerCustomer {
                let currency = random.below(10) < 8 ? mainCurrency : currencies[random.below(currencies.count)]
                let sign: Int128 = random.below(100) < 85 ? -1 : 1
                let amount = Int128(1 + random.below(50_000_000))
                let accounting = amount * rates[currency]! / 100
                let settled = random.below(10) == 0 ? amount / 3 : 0
                transactions.append(
                    OpenTransaction(
                        id: nextId, currency: currency,
                        amount: Money(microUnits: sign * amount)!, amountAccounting: Money(microUnits: sign * accounting)!,
                        settledAmount: Money(microUnits: sign * settled)!,
                        settledAmountAccounting: Money(microUnits: sign * (accounting * settled / amount))!,
                        ledgerAccount: ledgerAccounts[random.below(ledgerAccounts.count)],
                        markedForSettlement: random.below(500) == 0))
                nextId += 1
            }
            let vendorCase = random.below(10)
            let account = Code("C\(number)")
            facts.append(
                CustomerFacts(
                    account: account, name: "Customer \(number)", group: "RETAIL", currency: mainCurrency,
                    address: "", onHold: random.below(100) == 0,
                    vendorAccount: vendorCase < 6 ? "V\(number)" : nil, vendorAccountExists: vendorCase < 6,
                    existingOneTimeVendor: vendorCase >= 8 ? "OTV\(number)" : nil, transactions: transactions))
        }
        return facts
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func format(seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        return "\(grouped(milliseconds)) ms"
    }

    private static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }
}
