import Postgres

/// Seeded, reproducible ledgers loaded with COPY.
///
/// Every customer has about three open transactions, in its own currency and sometimes in the
/// other one (USD accounting, EUR). The mix, per customer:
/// - 44%: only credits (payments, credit notes), above the minimum: reimbursed, unless on hold
///   (2% of all customers), pending settlement (0.5%) or pointing at a missing vendor;
///   15% of them also have a small credit in the other currency, some of which stay below the
///   minimum; 15% of credits are on a second ledger account; 10% partially settled.
/// - 14%: open debits besides credits: skipped (`open_debits`).
/// - 8%: credits below the minimum (`below_minimum`).
/// - 34%: only invoices (`no_credit_balance`).
/// Half of the customers have no vendor account (a one-time vendor is created); of the other
/// half, 2% name a vendor that does not exist (`vendor_not_found`).
struct DataGenerator {
    static let minimum = "10.00"
    /// What many-small and latency run after their load: the first `--statistics` state's
    /// (StatisticsState; by default a database-wide VACUUM ANALYZE, as a DBA runs it).
    nonisolated(unsafe) static var analyzeSQL = StatisticsState.analyzed.analyzeSQL
    let seed: UInt64

    struct Counts {
        var customers = 0
        var vendors = 0
        var transactions = 0
    }

    /// What one customer is; derived from its own random stream so that the three COPY passes
    /// (customers, vendors, transactions) regenerate the same customer without keeping millions
    /// of rows in memory.
    struct Customer {
        var account: String
        var number: Int
        var currency: String
        var vendorAccount: String?
        var vendorExists: Bool
        var onHold: Bool
        var group: String
        var random: SeededRandom
    }

    func customer(company: Int, number: Int) -> Customer {
        var random = SeededRandom(seed: seed &+ (UInt64(company) << 32 | UInt64(number)) &* 0x9E37_79B9_7F4A_7C15)
        let currency = random.below(10) < 8 ? "USD" : "EUR"
        var vendorAccount: String?
        var vendorExists = false
        if random.below(2) == 1 {
            vendorExists = random.below(50) != 0
            vendorAccount = (vendorExists ? "V" : "VX") + Self.padded(number)
        }
        let onHold = random.below(50) == 0
        let group = random.below(4) == 0 ? "WHOLESALE" : "RETAIL"
        return Customer(
            account: "C" + Self.padded(number), number: number, currency: currency, vendorAccount: vendorAccount,
            vendorExists: vendorExists, onHold: onHold, group: group, random: random)
    }

    /// Inserts companies with the benchmark's rules (their number sequences come from the
    /// company trigger).
    static func createCompanies(_ ids: [String], on connection: PostgresConnection) throws {
        _ = try connection.copyIn("""
            COPY company (id, name, accounting_currency, minimum_reimbursement, vendor_summary_account,
                          one_time_vendor_group, reimbursement_payment_days) FROM STDIN
            """) { writer in
            for id in ids {
                try writer.row(values: [id, "Company \(id)", "USD", minimum, "200100", "ONETIME", 14])
            }
        }
    }

    /// Loads `customersPerCompany` customers into each company: three COPY statements in all.
    func load(companies: [String], customersPerCompany: Int, on connection: PostgresConnection) throws -> Counts {
        var counts = Counts()
        counts.customers = try connection.copyIn("""
            COPY customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address)
            FROM STDIN
            """) { writer in
            for (index, company) in companies.enumerated() {
                for number in 0..<customersPerCompany {
                    let c = customer(company: index, number: number)
                    try writer.row(values: [
                        company, c.account, "Customer \(number)", c.group, c.currency, c.vendorAccount, c.onHold,
                        "\(number) Main Street",
                    ])
                }
            }
        }
        counts.vendors = try connection.copyIn(
            "COPY vendor (company_id, account, name, vendor_group, currency, address) FROM STDIN"
        ) { writer in
            for (index, company) in companies.enumerated() {
                for number in 0..<customersPerCompany {
                    let c = customer(company: index, number: number)
                    guard c.vendorExists, let vendor = c.vendorAccount else { continue }
                    try writer.row(values: [company, vendor, "Vendor \(number)", "REIMB", c.currency, "Street \(number)"])
                }
            }
        }
        counts.transactions = try connection.copyIn("""
            COPY customer_transaction (company_id, customer_account, voucher, transaction_date, kind, currency,
                amount, amount_accounting, settled_amount, settled_amount_accounting, ledger_account,
                marked_for_settlement) FROM STDIN
            """) { writer in
            var rows: [[any PostgresEncodable]] = []
            for (index, company) in companies.enumerated() {
                for number in 0..<customersPerCompany {
                    var c = customer(company: index, number: number)
                    rows.removeAll(keepingCapacity: true)
                    Self.appendTransactions(company: company, customer: &c, into: &rows)
                    for row in rows { try writer.row(values: row) }
                }
            }
        }
        return counts
    }

    private static func appendTransactions(
        company: String, customer: inout Customer, into rows: inout [[any PostgresEncodable]]
    ) {
        let account = customer.account
        let currency = customer.currency
        var random = customer.random
        defer { customer.random = random }
        let other = currency == "USD" ? "EUR" : "USD"
        let pending = random.below(200) == 0
        var kinds: [(kind: String, currency: String, cents: Int)] = []
        switch random.below(100) {
        case 0..<44:
            for _ in 0..<random.within(2, 3) {
                kinds.append((random.below(2) == 0 ? "payment" : "credit_note", currency, -random.within(2_000, 200_000)))
            }
            if random.below(100) < 15 {
                kinds.append(("credit_note", other, -random.within(100, 3_000)))
            }
        case 44..<58:
            kinds.append(("invoice", currency, random.within(1_000, 100_000)))
            kinds.append(("payment", currency, -random.within(2_000, 200_000)))
            kinds.append(("credit_note", currency, -random.within(2_000, 50_000)))
        case 58..<66:
            kinds.append(("credit_note", currency, -random.within(50, 400)))
            kinds.append(("payment", currency, -random.within(50, 400)))
        default:
            for _ in 0..<3 { kinds.append(("invoice", currency, random.within(1_000, 300_000))) }
        }
        for (index, entry) in kinds.enumerated() {
            // EUR at 1.08 USD, rounded to the cent, same sign.
            let accounting = entry.currency == "USD" ? entry.cents : (entry.cents * 108) / 100
            let partly = entry.cents < 0 && random.below(10) == 0
            let settled = partly ? entry.cents / 2 : 0
            let settledAccounting = partly ? accounting / 2 : 0
            rows.append([
                company, account, "V-\(account)-\(index)", "2026-0\(1 + random.below(3))-1\(random.below(10))",
                entry.kind, entry.currency, centsText(entry.cents), centsText(accounting), centsText(settled),
                centsText(settledAccounting), random.below(100) < 15 ? "130200" : "130100",
                pending && index == 0,
            ])
        }
    }

    static func padded(_ number: Int) -> String {
        let text = String(number)
        return text.count >= 7 ? text : String(repeating: "0", count: 7 - text.count) + text
    }
}
