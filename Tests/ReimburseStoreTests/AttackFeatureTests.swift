import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// An adversarial review of issue 14 (financial controls, PRODUCT.md §6) and issue 16 (netting,
/// §7): hostile ledgers, sessions and logins against the store. Every scenario ends with
/// `LedgerVerifier` and with SQL assertions of its own (vouchers balanced in both columns,
/// nothing settled beyond its amount, money conserved). Attacks that held stay as regression
/// tests; a defect found is wrapped in `withKnownIssue` naming the contract it breaks.
@Suite("Attacks on financial controls and netting")
struct AttackFeatureTests {
    // MARK: - helpers

    /// A deterministic generator (SplitMix64), so a failing ledger can be rebuilt from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func company(_ id: String, minimum: String = "0", on connection: PostgresConnection) throws {
        try LedgerFixture.company(id, minimum: minimum, on: connection)
        try connection.execute("UPDATE company SET exchange_difference_account = '7800' WHERE id = $1", id)
    }

    @discardableResult
    static func transaction(
        _ company: String, _ customer: String, _ amount: String, accounting: String? = nil, currency: String = "USD",
        ledger: String = "1200", date: String = "2026-03-01", settled: String = "0", settledAccounting: String? = nil,
        marked: Bool = false, on connection: PostgresConnection
    ) throws -> Int64 {
        let id = try LedgerFixture.transaction(
            company, customer, amount: amount, accounting: accounting, currency: currency, settled: settled,
            settledAccounting: settledAccounting, ledgerAccount: ledger, marked: marked, on: connection)
        try connection.execute("UPDATE customer_transaction SET transaction_date = $1::date WHERE id = $2", date, id)
        return id
    }

    /// Snapshot of every transaction's settled amounts, to check conservation after a job.
    static func snapshot(_ company: String, on connection: PostgresConnection) throws {
        try connection.execute("DROP TABLE IF EXISTS attack_before")
        try connection.execute("""
            CREATE TABLE attack_before AS
            SELECT id, customer_account, currency, amount, settled_amount, settled_amount_accounting
              FROM customer_transaction WHERE company_id = $1
            """, company)
        try connection.execute("DROP TABLE IF EXISTS attack_mark")
        try connection.execute(
            "CREATE TABLE attack_mark AS SELECT coalesce(max(id), 0) AS last FROM customer_settlement WHERE company_id = $1",
            company)
    }

    /// Every invariant of the money path, as SQL: returns the violations (empty when clean).
    static func violations(_ company: String, on connection: PostgresConnection) throws -> [String] {
        var found: [String] = []
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        if !verification.passed { found.append("verifier: \(verification.violations)") }
        found += try Store.rows("""
            SELECT 'voucher ' || voucher || ' sums to ' || sum(amount) || ' / ' || sum(amount_accounting)
              FROM ledger_entry WHERE company_id = $1 GROUP BY voucher
            HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0
            """, company, on: connection)
        found += try Store.rows("""
            SELECT 'voucher ' || voucher || ' has ' || count(DISTINCT currency) || ' currencies'
              FROM ledger_entry WHERE company_id = $1 GROUP BY voucher HAVING count(DISTINCT currency) > 1
            """, company, on: connection)
        found += try Store.rows("""
            SELECT 'transaction ' || id || ' settled beyond its amount: ' || settled_amount || '/' || amount
                   || ' accounting ' || settled_amount_accounting || '/' || amount_accounting
              FROM customer_transaction WHERE company_id = $1
               AND (abs(settled_amount) > abs(amount) OR sign(settled_amount) * sign(amount) < 0
                    OR abs(settled_amount_accounting) > abs(amount_accounting)
                    OR sign(settled_amount_accounting) * sign(amount_accounting) < 0)
            """, company, on: connection)
        // Conservation, per transaction: what its settled amounts moved by since the snapshot is
        // exactly what the settlement rows written since then say (credit side amount_accounting, debit side
        // debit_amount_accounting for netting, amount_accounting for reimbursement debits).
        found += try Store.rows("""
            WITH moved AS (
                SELECT s.credit_transaction_id AS id, -s.amount AS amount, -s.amount_accounting AS accounting
                  FROM customer_settlement s WHERE s.company_id = $1 AND s.id > (SELECT last FROM attack_mark)
                UNION ALL
                SELECT s.debit_transaction_id, s.amount, coalesce(s.debit_amount_accounting, s.amount_accounting)
                  FROM customer_settlement s WHERE s.company_id = $1 AND s.id > (SELECT last FROM attack_mark)),
            per AS (SELECT id, sum(amount) AS amount, sum(accounting) AS accounting FROM moved GROUP BY id)
            SELECT 'transaction ' || t.id || ' moved ' || (t.settled_amount - coalesce(b.settled_amount, 0)) || ' / '
                   || (t.settled_amount_accounting - coalesce(b.settled_amount_accounting, 0))
                   || ' but its settlements say ' || coalesce(p.amount, 0) || ' / ' || coalesce(p.accounting, 0)
              FROM customer_transaction t
              LEFT JOIN attack_before b ON b.id = t.id
              LEFT JOIN per p ON p.id = t.id
             WHERE t.company_id = $1
               AND (t.settled_amount - coalesce(b.settled_amount, 0) <> coalesce(p.amount, 0)
                    OR t.settled_amount_accounting - coalesce(b.settled_amount_accounting, 0) <> coalesce(p.accounting, 0))
            """, company, on: connection)
        // What a reimbursement reimburses plus what it nets is what its customer's credits lost.
        found += try Store.rows("""
            SELECT 'reimbursement ' || r.id || ' of ' || r.amount || ' has a vendor invoice of '
                   || coalesce(vi.amount::text, 'none')
              FROM reimbursement r LEFT JOIN vendor_invoice vi ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id
             WHERE r.company_id = $1 AND (vi.amount IS DISTINCT FROM r.amount
                                          OR vi.amount_accounting IS DISTINCT FROM r.amount_accounting)
            """, company, on: connection)
        return found
    }

    static func jobRow(_ job: Int64, on connection: PostgresConnection) throws -> String {
        try Store.rows("SELECT state, coalesce(last_error, '') FROM reimbursement_job WHERE id = $1", job,
                       on: connection).first ?? "missing"
    }

    // MARK: - Netting: random ledgers through the database

    /// Random two-currency ledgers on two ledger accounts, partly settled before, with rates
    /// that round both ways, accounting residues of zero and ties on dates; `summarize` both
    /// ways and a minimum. After the net job: verifier clean, every voucher balanced in both
    /// columns, nothing settled beyond its amount, every moved amount accounted for by a
    /// settlement row, and per (customer, currency) with `summarize = true` the netted amount is
    /// min(open credits, open debits) and the reimbursement the rest.
    @Test(arguments: [(UInt64(1), true), (UInt64(2), false), (UInt64(3), true), (UInt64(4), false)])
    func randomLedgersNetAndBalance(seed: UInt64, summarize: Bool) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            var random = SplitMix(state: seed)
            let company = "RND\(seed)"
            try Self.company(company, minimum: seed % 2 == 0 ? "5" : "0", on: connection)
            let rates = ["1", "1.1", "0.9", "0.333333", "3", "1.234567"]
            for index in 1...60 {
                let customer = "C\(String(format: "%03d", index))"
                try LedgerFixture.customer(company, customer, on: connection)
                for _ in 0..<Int.random(in: 1...7, using: &random) {
                    let cents = Int.random(in: 1...50_000, using: &random)
                    let credit = Int.random(in: 0...2, using: &random) != 0
                    let amount = Decimal(cents) / 100 * (credit ? -1 : 1)
                    let rate = Decimal(string: rates.randomElement(using: &random)!)!
                    var accounting = amount * rate
                    var rounded = Decimal()
                    NSDecimalRound(&rounded, &accounting, 2, .plain)
                    if rounded == 0 { rounded = credit ? Decimal(string: "-0.01")! : Decimal(string: "0.01")! }
                    // Some transactions partly settled before, some with the accounting already
                    // fully settled (a residue of zero).
                    var settled = Decimal(0)
                    var settledAccounting = Decimal(0)
                    switch Int.random(in: 0...5, using: &random) {
                    case 0:
                        settled = amount / 2
                        var half = rounded / 2
                        NSDecimalRound(&settledAccounting, &half, 2, .down)
                        var s = settled
                        NSDecimalRound(&settled, &s, 2, .down)
                        if settled == amount { settled = 0 }
                    case 1:
                        settledAccounting = rounded
                    default: break
                    }
                    try Self.transaction(
                        company, customer, "\(amount)", accounting: "\(rounded)",
                        currency: Bool.random(using: &random) ? "USD" : "EUR",
                        ledger: Bool.random(using: &random) ? "1200" : "1300",
                        date: "2026-03-0\(Int.random(in: 1...3, using: &random))",
                        settled: "\(settled)", settledAccounting: "\(settledAccounting)", on: connection)
                }
            }
            try Self.snapshot(company, on: connection)
            // Open totals per (customer, currency) before the job (summarize = true check).
            let expected = try Store.rows("""
                SELECT customer_account, currency,
                       least(sum(-(amount - settled_amount)) FILTER (WHERE amount - settled_amount < 0),
                             coalesce(sum(amount - settled_amount) FILTER (WHERE amount - settled_amount > 0), 0)),
                       sum(-(amount - settled_amount)) FILTER (WHERE amount - settled_amount < 0)
                         - least(sum(-(amount - settled_amount)) FILTER (WHERE amount - settled_amount < 0),
                                 coalesce(sum(amount - settled_amount) FILTER (WHERE amount - settled_amount > 0), 0))
                  FROM customer_transaction WHERE company_id = $1 AND amount <> settled_amount
                 GROUP BY customer_account, currency
                HAVING bool_or(amount - settled_amount < 0)
                 ORDER BY 1, 2
                """, company, on: connection)
            let job = try LedgerFixture.job(company, debitHandling: "net", summarize: summarize, on: connection)
            try Store.run(job, chunkSize: 7, on: connection)
            let problems = try Self.violations(company, on: connection)
            #expect(problems.isEmpty, "\(problems)")
            #expect(try Store.count(
                "SELECT count(*) FROM customer_settlement WHERE company_id = $1 AND kind = 'netting'", company,
                on: connection) > 0)
            guard summarize else { return }
            // Each reimbursed (customer, currency): netted = min, reimbursed = the rest.
            let actual = try Store.rows("""
                SELECT r.customer_account, r.currency, rr.netted_amount, r.amount
                  FROM reimbursement r JOIN reimbursement_report rr ON rr.company_id = r.company_id AND rr.reimbursement_id = r.id
                 WHERE r.company_id = $1 ORDER BY 1, 2
                """, company, on: connection)
            let reimbursedKeys = Set(actual.map { $0.split(separator: "|").prefix(2).joined(separator: "|") })
            #expect(actual == expected.filter { reimbursedKeys.contains($0.split(separator: "|").prefix(2).joined(separator: "|")) })
        }
    }

    // MARK: - Netting worked attacks

    /// `summarize = false`: on 1200 the credits cover the debits, on 1300 the debit (at another
    /// rate) is larger than the credit. 1300 nets only 10 of the debit's 50 (per ledger account,
    /// §7), its piece rides in 1200's reimbursement, the debit keeps 40 open with its exact
    /// proportional accounting rest; the exchange difference balances the voucher.
    @Test func summarizeFalseWithOneAccountCoveredAndOneNot() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("SF", on: connection)
            try LedgerFixture.customer("SF", "C1", on: connection)
            try Self.transaction("SF", "C1", "-100", ledger: "1200", on: connection)
            try Self.transaction("SF", "C1", "30", ledger: "1200", on: connection)
            try Self.transaction("SF", "C1", "-10", accounting: "-10", ledger: "1300", on: connection)
            let debit = try Self.transaction("SF", "C1", "50", accounting: "55.55", ledger: "1300", on: connection)
            try Self.snapshot("SF", on: connection)
            let job = try LedgerFixture.job("SF", debitHandling: "net", summarize: false, on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT amount, netted_amount FROM reimbursement_report WHERE job_id = $1", job,
                                   on: connection) == ["70.000000|40.000000"])
            // 10 of 50 at 55.55: round(55.55 * 10 / 50) = 11.11; 40 and 44.44 stay open.
            #expect(try Store.rows(
                "SELECT amount - settled_amount, amount_accounting - settled_amount_accounting FROM customer_transaction WHERE id = $1",
                debit, on: connection) == ["40.000000|44.440000"])
            let problems = try Self.violations("SF", on: connection)
            #expect(problems.isEmpty, "\(problems)")
            // A later credit on 1300 nets the rest of the same debit: a second netting of it.
            try Self.snapshot("SF", on: connection)
            try Self.transaction("SF", "C1", "-100", ledger: "1300", date: "2026-03-05", on: connection)
            let again = try LedgerFixture.job("SF", debitHandling: "net", summarize: false, on: connection)
            try Store.run(again, on: connection)
            #expect(try Store.rows("SELECT amount, netted_amount FROM reimbursement_report WHERE job_id = $1", again,
                                   on: connection) == ["60.000000|40.000000"])
            let after = try Self.violations("SF", on: connection)
            #expect(after.isEmpty, "\(after)")
        }
    }

    /// A credit whose accounting amount is already fully settled (open 100, accounting 0) nets
    /// a debit worth 40 in accounting currency: the netting loses 40, a debit (loss) on the
    /// exchange difference account, and the remainder is reimbursed at 0 accounting.
    @Test func aZeroAccountingCreditNetsADebitAsALoss() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("ZA", on: connection)
            try LedgerFixture.customer("ZA", "C1", on: connection)
            try Self.transaction("ZA", "C1", "-100", accounting: "-100", settledAccounting: "-100", on: connection)
            try Self.transaction("ZA", "C1", "40", on: connection)
            try Self.snapshot("ZA", on: connection)
            let job = try LedgerFixture.job("ZA", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows(
                "SELECT account, posting_type, amount, amount_accounting FROM ledger_entry WHERE company_id = 'ZA' ORDER BY line",
                on: connection) == [
                    "1200|customer_reimbursement|60.000000|0.000000", "2100|vendor_balance|-60.000000|0.000000",
                    "1200|exchange_difference|0.000000|-40.000000", "7800|exchange_difference|0.000000|40.000000",
                ])
            let problems = try Self.violations("ZA", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    /// One credit against 7 small debits at an awkward rate: the credit's shares sum exactly to
    /// its netted accounting amount, its last piece (the reimbursed rest) takes the exact rest.
    @Test func manySmallDebitsAgainstOneCreditShareExactly() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("MS", on: connection)
            try LedgerFixture.customer("MS", "C1", on: connection)
            let credit = try Self.transaction("MS", "C1", "-1", accounting: "-0.333333", currency: "EUR", on: connection)
            for day in 1...7 {
                try Self.transaction("MS", "C1", "0.000013", accounting: "0.000001", currency: "EUR",
                                     date: "2026-03-0\(day)", on: connection)
            }
            try Self.snapshot("MS", on: connection)
            let job = try LedgerFixture.job("MS", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("""
                SELECT sum(amount), sum(amount_accounting) FROM customer_settlement WHERE credit_transaction_id = $1
                """, credit, on: connection) == ["1.000000|0.333333"])
            let problems = try Self.violations("MS", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    /// The remainder exactly at the minimum (in accounting currency, R in EUR) is reimbursed;
    /// a cent below is `below_minimum` and nothing at all is posted (no netting either).
    @Test func aRemainderExactlyAtTheMinimumIsReimbursedACentBelowPostsNothing() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("MN", minimum: "55", on: connection)
            try LedgerFixture.customer("MN", "AT", on: connection)
            try LedgerFixture.customer("MN", "BELOW", on: connection)
            // AT: EUR 100 at 1.10 nets EUR 50: R = EUR 50 at 55.00 = the minimum.
            try Self.transaction("MN", "AT", "-100", accounting: "-110", currency: "EUR", on: connection)
            try Self.transaction("MN", "AT", "50", accounting: "50", currency: "EUR", on: connection)
            try Self.transaction("MN", "BELOW", "-100", accounting: "-110", currency: "EUR", on: connection)
            try Self.transaction("MN", "BELOW", "50.01", accounting: "50", currency: "EUR", on: connection)
            try Self.snapshot("MN", on: connection)
            let job = try LedgerFixture.job("MN", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT customer_account, amount, amount_accounting FROM reimbursement WHERE job_id = $1",
                                   job, on: connection) == ["AT|50.000000|55.000000"])
            #expect(try Store.rows("SELECT customer_account, reason, credit_balance FROM reimbursement_skip WHERE job_id = $1",
                                   job, on: connection) == ["BELOW|below_minimum|49.990000"])
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction WHERE company_id = 'MN' AND customer_account = 'BELOW' AND settled_amount <> 0
                """, on: connection) == 0)
            let problems = try Self.violations("MN", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    /// Debits in a currency without credits are left alone; a marked debit makes the customer
    /// `pending_settlement`; on hold comes first; a customer with only debits is only counted.
    @Test func debitsElsewhereMarkedOnHoldAndOnlyDebits() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("DX", on: connection)
            for account in ["ELSE", "MARK", "HOLD", "ONLY"] {
                try LedgerFixture.customer("DX", account, onHold: account == "HOLD", on: connection)
            }
            try Self.transaction("DX", "ELSE", "-100", currency: "EUR", on: connection)
            let usd = try Self.transaction("DX", "ELSE", "30", currency: "USD", on: connection)
            try Self.transaction("DX", "MARK", "-100", on: connection)
            try Self.transaction("DX", "MARK", "30", marked: true, on: connection)
            try Self.transaction("DX", "HOLD", "-100", on: connection)
            try Self.transaction("DX", "HOLD", "30", marked: true, on: connection)
            try Self.transaction("DX", "ONLY", "30", on: connection)
            try Self.snapshot("DX", on: connection)
            let job = try LedgerFixture.job("DX", debitHandling: "net", on: connection)
            let tally = try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT customer_account, currency, amount FROM reimbursement WHERE job_id = $1", job,
                                   on: connection) == ["ELSE|EUR|100.000000"])
            #expect(try Store.rows("SELECT settled_amount FROM customer_transaction WHERE id = $1", usd, on: connection)
                == ["0.000000"])
            #expect(try Store.rows("""
                SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1 ORDER BY 1
                """, job, on: connection) == ["HOLD|on_hold", "MARK|pending_settlement"])
            #expect(tally?.noCreditBalance == 1)
            let problems = try Self.violations("DX", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    /// 18 integer digits: a credit of -999999999999999999.999999 nets a debit one micro-unit
    /// smaller; R = 0.000001 is reimbursed, every column fits and balances. Two such credits on
    /// one account (their sum does not fit) make the customer `invalid_data`, the others go on.
    @Test func eighteenIntegerDigits() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("BIG", on: connection)
            try LedgerFixture.customer("BIG", "C1", on: connection)
            try LedgerFixture.customer("BIG", "C2", on: connection)
            try Self.transaction("BIG", "C1", "-999999999999999999.999999", ledger: "1200", on: connection)
            try Self.transaction("BIG", "C1", "999999999999999999.999998", accounting: "1", ledger: "1300", on: connection)
            try Self.transaction("BIG", "C2", "-999999999999999999.999999", on: connection)
            try Self.transaction("BIG", "C2", "-999999999999999999.999999", on: connection)
            try Self.transaction("BIG", "C2", "5", on: connection)
            try Self.snapshot("BIG", on: connection)
            let job = try LedgerFixture.job("BIG", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT customer_account, amount FROM reimbursement WHERE job_id = $1", job,
                                   on: connection) == ["C1|0.000001"])
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", job,
                                   on: connection) == ["C2|invalid_data"])
            let problems = try Self.violations("BIG", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    // MARK: - Netting approvals

    /// Between a net preview and its approval the ERP settles part of a netted debit, or only
    /// revalues it (accounting amount changed), or settles a debit that was not netted at all:
    /// each is `changed_since_preview`, nothing is posted, and the ledger stays clean.
    @Test(arguments: ["partly settled", "revalued", "unnetted debit settled"])
    func aDebitChangedBetweenPreviewAndApprovalIsChangedSincePreview(change: String) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("AP", on: connection)
            try LedgerFixture.customer("AP", "C1", on: connection)
            try Self.transaction("AP", "C1", "-100", on: connection)
            let netted = try Self.transaction("AP", "C1", "30", date: "2026-03-02", on: connection)
            // summarize=false: a debit on 1300 (no credits there) is open but not netted.
            let other = try Self.transaction("AP", "C1", "5", ledger: "1300", date: "2026-03-03", on: connection)
            let preview = try LedgerFixture.job("AP", mode: "preview", debitHandling: "net", summarize: false, on: connection)
            try Store.run(preview, on: connection)
            switch change {
            case "partly settled":
                try connection.execute("UPDATE customer_transaction SET settled_amount = 1, settled_amount_accounting = 1 WHERE id = $1", netted)
            case "revalued":
                try connection.execute("UPDATE customer_transaction SET amount_accounting = 31 WHERE id = $1", netted)
            default:
                try connection.execute("UPDATE customer_transaction SET settled_amount = 5, settled_amount_accounting = 5 WHERE id = $1", other)
            }
            try Self.snapshot("AP", on: connection)
            let approval = try LedgerFixture.job("AP", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", approval, on: connection) == 0)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
                == ["changed_since_preview"])
            let problems = try Self.violations("AP", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    /// Two logins approve the same net preview: the first posts, the second finds the credits
    /// settled and posts nothing; nothing is netted twice.
    @Test func aNetPreviewApprovedTwiceNetsOnce() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("TW", on: connection)
            try LedgerFixture.customer("TW", "C1", on: connection)
            try Self.transaction("TW", "C1", "-100", on: connection)
            try Self.transaction("TW", "C1", "30", date: "2026-03-02", on: connection)
            try Self.snapshot("TW", on: connection)
            let preview = try LedgerFixture.job("TW", mode: "preview", debitHandling: "net", on: connection)
            try Store.run(preview, on: connection)
            let first = try LedgerFixture.job("TW", approves: preview, on: connection)
            let second = try LedgerFixture.job("TW", approves: preview, on: connection)
            try Store.run(first, on: connection)
            try Store.run(second, on: connection)
            #expect(try Store.count("SELECT count(*) FROM customer_settlement WHERE company_id = 'TW' AND kind = 'netting'",
                                    on: connection) == 1)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE company_id = 'TW'", on: connection) == 1)
            let problems = try Self.violations("TW", on: connection)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    // MARK: - Controls: four eyes through real logins

    static func logins(_ names: [String], company: String, on connection: PostgresConnection) throws {
        for login in names {
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_enqueue")
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, $2)", login, company)
        }
    }

    static func constraint(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as PostgresError {
            return error.constraintName ?? error.message
        } catch {
            return "\(error)"
        }
    }

    /// Alice is a member of Bob's login role. She previews; then, as Bob by `SET ROLE`, through
    /// a SECURITY DEFINER function owned by Bob, and by writing `requested_by` herself, she tries
    /// to approve her own preview: every INSERT is refused by four eyes, and the one row she
    /// could insert (a preview) carries her own name.
    @Test func oneLoginCannotBecomeTwoBySetRoleDefinerOrColumn() async throws {
        let database = try await TestServer.database()
        let alice = "alice_\(UInt32.random(in: 0...UInt32.max))"
        let bob = "bob_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try Self.company("FE", on: connection)
            try LedgerFixture.customer("FE", "C1", on: connection)
            try Self.transaction("FE", "C1", "-100", on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'FE'")
            try Self.logins([alice, bob], company: "FE", on: connection)
            try connection.execute("GRANT \(try connection.quoteIdentifier(bob)) TO \(try connection.quoteIdentifier(alice))")
            try connection.execute("""
                CREATE FUNCTION attack_approve(preview bigint) RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$
                    INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('FE', preview) RETURNING id $$
                """)
            try connection.execute("ALTER FUNCTION attack_approve(bigint) OWNER TO \(try connection.quoteIdentifier(bob))")
            try connection.execute("GRANT EXECUTE ON FUNCTION attack_approve(bigint) TO PUBLIC")
        }
        let preview = try await Store.asLogin(alice, database: database) { connection in
            try connection.queryValue(Int64.self, """
                INSERT INTO reimbursement_job (company_id, mode) VALUES ('FE', 'preview') RETURNING id
                """)!
        }
        try await database.withConnection { try Store.run(preview, on: $0) }
        let refusals = try await Store.asLogin(alice, database: database) { connection -> [String?] in
            let insert = "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('FE', $1)"
            var refusals: [String?] = []
            refusals.append(Self.constraint { try connection.execute(insert, preview) })
            refusals.append(Self.constraint {
                try connection.execute("SET ROLE \(try connection.quoteIdentifier(bob))")
                try connection.execute(insert, preview)
            })
            _ = try? connection.execute("RESET ROLE")
            refusals.append(Self.constraint { _ = try connection.queryValue(Int64.self, "SELECT attack_approve($1)", preview) })
            refusals.append(Self.constraint {
                try connection.execute(
                    "INSERT INTO reimbursement_job (company_id, approves_job_id, requested_by) VALUES ('FE', $1, $2)",
                    preview, bob)
            })
            refusals.append(Self.constraint {
                try connection.execute("SET SESSION AUTHORIZATION \(try connection.quoteIdentifier(bob))")
            })
            return refusals
        }
        let requester = try await database.withConnection { connection in
            try connection.queryValue(String.self, "SELECT requested_by FROM reimbursement_job WHERE id = $1", preview)
        }
        #expect(requester == alice)
        #expect(Array(refusals.prefix(3)) == Array(repeating: "reimbursement_job_four_eyes", count: 3), "\(refusals)")
        // requested_by is not even a column the enqueue role may write.
        #expect(refusals[3]?.contains("permission denied") == true, "\(refusals)")
        #expect(refusals[4]?.contains("permission denied") == true, "\(refusals)")
    }

    /// After INSERT nobody rewrites who asked, or what a job approves: the enqueue login cannot
    /// update `requested_by`, `approves_job_id` or `mode`, and even the table owner is refused
    /// a new `requested_by`.
    @Test func whoAskedAndWhatIsApprovedCannotBeRewritten() async throws {
        let database = try await TestServer.database()
        let alice = "alice_\(UInt32.random(in: 0...UInt32.max))"
        let job = try await database.withConnection { connection in
            try Self.company("RW", on: connection)
            try Self.logins([alice], company: "RW", on: connection)
            return try LedgerFixture.job("RW", mode: "preview", on: connection)
        }
        let refusals = try await Store.asLogin(alice, database: database) { connection -> [String?] in
            ["requested_by = 'x'", "approves_job_id = 1", "mode = 'post'"].map { assignment in
                Self.constraint { try connection.execute("UPDATE reimbursement_job SET \(assignment) WHERE id = $1", job) }
            }
        }
        for refusal in refusals { #expect(refusal?.contains("permission denied") == true, "\(refusals)") }
        let owner = try await database.withConnection { connection in
            Self.constraint { try connection.execute("UPDATE reimbursement_job SET requested_by = 'x' WHERE id = $1", job) }
        }
        #expect(owner == "reimbursement_job_requested_by_fixed")
    }

    // MARK: - Controls: ledger periods

    /// A reporting or enqueue login cannot write ledger periods; a period of another company
    /// does not control this one; infinite and NULL dates are refused by name; two periods
    /// that share one day are refused even across two sessions in flight.
    @Test func periodsAreGuarded() async throws {
        let database = try await TestServer.database()
        let reader = "reader_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try Self.company("PG", on: connection)
            try Self.company("PO", on: connection)
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(reader)) LOGIN IN ROLE reimburse_reporting")
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'PG')", reader)
            let infinite = Self.constraint {
                try connection.execute("INSERT INTO ledger_period VALUES ('PG', '2026-01-01', 'infinity', 'open')")
            }
            #expect(infinite == "ledger_period_period_end_range")
            let null = Self.constraint {
                try connection.execute("INSERT INTO ledger_period VALUES ('PG', '2026-01-01', NULL, 'open')")
            }
            #expect(null != nil)
            // Another company's closed period does not control PG.
            try connection.execute("INSERT INTO ledger_period VALUES ('PO', '2026-01-01', '2026-12-31', 'closed')")
            try LedgerFixture.customer("PG", "C1", on: connection)
            try Self.transaction("PG", "C1", "-100", on: connection)
            let job = try LedgerFixture.job("PG", on: connection)
            try Store.run(job, on: connection)
        }
        let written = try await Store.asLogin(reader, database: database) { connection in
            Self.constraint { try connection.execute("INSERT INTO ledger_period VALUES ('PG', '2027-01-01', '2027-01-31', 'open')") }
        }
        #expect(written?.contains("permission denied") == true, "\(String(describing: written))")
        // Two sessions insert overlapping periods at once: the second waits, then is refused.
        let first = try await database.withConnection { connection -> String? in
            let other = try database.connect()
            try connection.execute("BEGIN")
            try connection.execute("INSERT INTO ledger_period VALUES ('PG', '2028-01-01', '2028-01-31', 'open')")
            try other.execute("SET lock_timeout = '300ms'")
            let refused = Self.constraint {
                try other.execute("INSERT INTO ledger_period VALUES ('PG', '2028-01-31', '2028-02-28', 'open')")
            }
            try connection.execute("COMMIT")
            return refused
        }
        // While the first is uncommitted the second cannot decide: it waits (lock timeout here).
        #expect(first != nil)
        let overlap = try await database.withConnection { connection in
            Self.constraint { try connection.execute("INSERT INTO ledger_period VALUES ('PG', '2028-01-31', '2028-02-28', 'open')") }
        }
        #expect(overlap == "ledger_period_no_overlap")
    }

    /// The chunk's share lock makes a close of the covering period wait for the chunk in flight
    /// (held). But a company without periods has no row to lock: a closed period INSERTed
    /// while the chunk is in flight commits at once, and the chunk then commits its postings
    /// dated inside a period whose close committed first. sql/0014 (ledger_period_for_posting)
    /// promises "no posting ever commits into a period after its close committed".
    @Test func aClosedPeriodInsertedWhileAChunkIsInFlightWaitsForIt() async throws {
        let database = try await TestServer.database()
        let (update, insert) = try await database.withConnection { connection -> (String?, String?) in
            try Self.company("PR", on: connection)
            try Self.company("PN", on: connection)
            try connection.execute("INSERT INTO ledger_period VALUES ('PR', '2026-11-01', '2026-11-30', 'open')")
            let finance = try database.connect()
            try finance.execute("SET lock_timeout = '300ms'")
            // The chunk of PR holds its period: closing it waits (held).
            try connection.execute("BEGIN")
            _ = try connection.execute("SELECT * FROM ledger_period_for_posting('PR', '2026-11-25', true)")
            let update = Self.constraint {
                try finance.execute("UPDATE ledger_period SET status = 'closed' WHERE company_id = 'PR'")
            }
            try connection.execute("ROLLBACK")
            // The chunk of PN (no periods: no control) is in flight; a closed period arrives.
            try connection.execute("BEGIN")
            _ = try connection.execute("SELECT * FROM ledger_period_for_posting('PN', '2026-11-25', true)")
            let insert = Self.constraint {
                try finance.execute("INSERT INTO ledger_period VALUES ('PN', '2026-11-01', '2026-11-30', 'closed')")
            }
            try connection.execute("ROLLBACK")
            return (update, insert)
        }
        #expect(update?.contains("lock timeout") == true, "\(String(describing: update))")
        #expect(insert?.contains("lock timeout") == true, "the INSERT committed at once: \(String(describing: insert))")
    }

    // MARK: - Controls: the company's day

    /// A job with nothing to do (an empty selection) still resolves and records its date, and a
    /// preview approved the next local day posts on the approving job's own date.
    @Test func aJobWithNothingToDoStillRecordsItsDate() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("ED", on: connection)
            try connection.execute("UPDATE company SET time_zone = 'Pacific/Kiritimati' WHERE id = 'ED'")
            let job = try LedgerFixture.job("ED", accounts: [], postingDate: nil, on: connection)
            try Store.run(job, on: connection)
            let local = try connection.queryValue(String.self, "SELECT ((clock_timestamp() AT TIME ZONE 'Pacific/Kiritimati')::date)::text")!
            #expect(try Store.rows("SELECT coalesce(effective_posting_date::text, 'NULL') FROM job_overview WHERE job_id = $1",
                                   job, on: connection) == [local])
        }
    }
}
