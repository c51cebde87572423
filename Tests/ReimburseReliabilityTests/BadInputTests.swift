import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// What must become of one piece of bad input.
enum BadOutcome: Sendable {
    /// The statement is refused by the database, naming this constraint (or SQLSTATE when
    /// PostgreSQL names none, e.g. numeric overflow).
    case rejected(constraint: String)
    case rejectedState(String)
    /// The job fails, its last_error containing this phrase.
    case jobFails(String)
    /// The job succeeds and the customer is skipped for this reason.
    case skipped(String)
    /// The job succeeds with this many reimbursements.
    case succeeds(reimbursements: Int)
    /// The job ends cancelled.
    case cancelled
}

/// One row of the table: a setup of company BAD, the bad action (returns the job it enqueued,
/// if any), and the outcome. Company GOOD has a healthy job enqueued alongside every time.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    var name: String
    var setup: @Sendable (PostgresConnection) throws -> Void = { _ in }
    var action: @Sendable (PostgresConnection) throws -> Int64?
    var expected: BadOutcome
    /// A job enqueued before the action and expected to succeed anyway (company delete case).
    var cancelWhileRunning = false
    var testDescription: String { name }
}

private func insertJob(_ connection: PostgresConnection, _ columns: String = "", _ values: String = "",
                       _ parameters: any PostgresEncodable...) throws -> Int64? {
    let extraColumns = columns.isEmpty ? "" : ", " + columns
    let extraValues = values.isEmpty ? "" : ", " + values
    return try connection.queryValue(
        Int64.self,
        "INSERT INTO reimbursement_job (company_id, posting_date\(extraColumns)) VALUES ('BAD', '2026-11-25'\(extraValues)) RETURNING id",
        parameters: parameters)
}

extension PostgresConnection {
    func queryValue<T: PostgresDecodable>(_ type: T.Type, _ sql: String, parameters: [any PostgresEncodable]) throws -> T? {
        let result = try execute(sql, parameters: parameters)
        guard let row = result.first else { return nil }
        return try row.decode(type, at: 0)
    }
}

private func badCustomer(_ connection: PostgresConnection, _ account: String = "B1", amount: String = "-50",
                         vendor: String? = nil, onHold: Bool = false, marked: Bool = false) throws {
    try LedgerFixture.customer("BAD", account, vendorAccount: vendor, onHold: onHold, on: connection)
    try LedgerFixture.transaction("BAD", account, amount: amount, marked: marked, on: connection)
}

private let nasty = #"O'Brien \"x\" \\ ü 🙂 '; DROP TABLE customer; --"#

private let badInputCases: [BadInputCase] = [
    BadInputCase(name: "unknown company", action: { c in
        try c.queryValue(Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('NOSUCH') RETURNING id")
    }, expected: .rejected(constraint: "reimbursement_job_company_fk")),
    BadInputCase(name: "unknown mode", action: { try insertJob($0, "mode", "'dry-run'") },
                 expected: .rejected(constraint: "reimbursement_job_mode_valid")),
    BadInputCase(name: "unknown debit handling", action: { try insertJob($0, "debit_handling", "'nett'") },
                 expected: .rejected(constraint: "reimbursement_job_debit_handling_valid")),
    BadInputCase(name: "approves_job_id of another company's preview", action: { c in
        let other = try LedgerFixture.job("GOOD", mode: "preview", on: c)
        try c.execute("UPDATE reimbursement_job SET state = 'succeeded' WHERE id = $1", other)
        return try insertJob(c, "approves_job_id", "$1", other)
    }, expected: .rejected(constraint: "reimbursement_job_approves_succeeded_preview")),
    BadInputCase(name: "approves_job_id of a failed preview", action: { c in
        let failed = try LedgerFixture.job("BAD", mode: "preview", on: c)
        try c.execute("UPDATE reimbursement_job SET state = 'failed' WHERE id = $1", failed)
        return try insertJob(c, "approves_job_id", "$1", failed)
    }, expected: .rejected(constraint: "reimbursement_job_approves_succeeded_preview")),
    BadInputCase(name: "approves_job_id on a preview job", action: { c in
        let preview = try LedgerFixture.job("BAD", mode: "preview", on: c)
        try c.execute("UPDATE reimbursement_job SET state = 'succeeded' WHERE id = $1", preview)
        return try insertJob(c, "mode, approves_job_id", "'preview', $1", preview)
    }, expected: .rejected(constraint: "reimbursement_job_approves_requires_post")),
    BadInputCase(name: "negative minimum", action: { c in
        try c.execute("UPDATE company SET minimum_reimbursement = -1 WHERE id = 'BAD'")
        return nil
    }, expected: .rejected(constraint: "company_minimum_reimbursement_nonnegative")),
    BadInputCase(name: "max_attempts 0", action: { try insertJob($0, "max_attempts", "0") },
                 expected: .rejected(constraint: "reimbursement_job_max_attempts_range")),
    BadInputCase(name: "empty dedupe key", action: { try insertJob($0, "dedupe_key", "''") },
                 expected: .rejected(constraint: "reimbursement_job_dedupe_key_not_blank")),
    BadInputCase(name: "second unfinished job with one dedupe key", action: { c in
        _ = try insertJob(c, "dedupe_key", "'nightly'")
        return try insertJob(c, "dedupe_key", "'nightly'")
    }, expected: .rejected(constraint: "reimbursement_job_dedupe_key_unfinished")),
    BadInputCase(name: "lower-case currency code", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "-5", currency: "usd", on: c)
        return nil
    }, expected: .rejected(constraint: "currency_code_format")),
    BadInputCase(name: "four-letter currency code", action: { c in
        try LedgerFixture.customer("BAD", "B1", currency: "EURO", on: c)
        return nil
    }, expected: .rejected(constraint: "currency_code_format")),
    BadInputCase(name: "amount beyond numeric(24,6)", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "-10000000000000000000", on: c)
        return nil
    }, expected: .rejectedState("22003")),
    BadInputCase(name: "amount 0", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "0", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_amount_nonzero")),
    BadInputCase(name: "settled beyond amount", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "-10", settled: "-11", settledAccounting: "-10", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_settled_within_amount")),
    BadInputCase(name: "settled against the sign", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "-10", settled: "5", settledAccounting: "-5", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_settled_within_amount")),
    BadInputCase(name: "accounting amount of the other sign", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "-10", accounting: "10", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_accounting_same_sign")),
    BadInputCase(name: "transaction of an unknown customer", action: { c in
        try LedgerFixture.transaction("BAD", "NOBODY", amount: "-10", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_customer_fk")),
    BadInputCase(name: "account with a trailing blank", action: { c in
        try LedgerFixture.customer("BAD", "B1 ", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_account_format")),
    BadInputCase(name: "company deleted while its job is queued", action: { c in
        _ = try insertJob(c)
        try c.execute("DELETE FROM company WHERE id = 'BAD'")
        return nil
    }, expected: .rejected(constraint: "reimbursement_job_company_fk")),
    BadInputCase(name: "company with customers deleted while its job is queued", action: { c in
        try badCustomer(c)
        _ = try insertJob(c)
        try c.execute("DELETE FROM company WHERE id = 'BAD'")
        return nil
    }, expected: .rejected(constraint: "customer_company_fk")),
    BadInputCase(name: "missing number sequence", setup: { c in try badCustomer(c) }, action: { c in
        try c.execute("DELETE FROM number_sequence WHERE company_id = 'BAD' AND name = 'vendor_invoice'")
        return try insertJob(c)
    }, expected: .jobFails("no number sequence 'vendor_invoice'")),
    BadInputCase(name: "credits whose sum overflows numeric(24,6)", setup: { c in
        try badCustomer(c, amount: "-999999999999999999")
        try LedgerFixture.transaction("BAD", "B1", amount: "-999999999999999999", on: c)
    }, action: { try insertJob($0) }, expected: .skipped("invalid_data")),
    BadInputCase(name: "vendor account naming no vendor", setup: { c in try badCustomer(c, vendor: "GHOST") },
                 action: { try insertJob($0) }, expected: .skipped("vendor_not_found")),
    BadInputCase(name: "customer on hold", setup: { c in try badCustomer(c, onHold: true) },
                 action: { try insertJob($0) }, expected: .skipped("on_hold")),
    BadInputCase(name: "transaction marked for settlement", setup: { c in try badCustomer(c, marked: true) },
                 action: { try insertJob($0) }, expected: .skipped("pending_settlement")),
    BadInputCase(name: "changed since the preview", setup: { c in try badCustomer(c) }, action: { c in
        let preview = try insertJob(c, "mode", "'preview'")!
        // Run the preview in-process is not possible here: mark it as a succeeded preview with
        // its proposal, then change the customer's credits.
        let credit = try c.queryValue(Int64.self, "SELECT id FROM customer_transaction WHERE company_id = 'BAD'")!
        try c.execute("""
            INSERT INTO reimbursement_proposal (job_id, company_id, customer_account, currency, amount, amount_accounting,
                                                credit_transaction_ids)
            VALUES ($1, 'BAD', 'B1', 'USD', 50, 50, ARRAY[$2::bigint])
            """, preview, credit)
        try c.execute("UPDATE reimbursement_job SET state = 'succeeded', result = '{}' WHERE id = $1", preview)
        try LedgerFixture.transaction("BAD", "B1", amount: "-7", on: c)
        return try insertJob(c, "approves_job_id", "$1", preview)
    }, expected: .skipped("changed_since_preview")),
    BadInputCase(name: "100,000-element customer array", setup: { c in
        try badCustomer(c, "B1")
        try badCustomer(c, "B2")
        try badCustomer(c, "B3")
    }, action: { c in
        var accounts = (1...99_998).map { "UNKNOWN\($0)" }
        accounts += ["B1", "B3"]
        return try insertJob(c, "customer_accounts", "$1", accounts)
    }, expected: .succeeds(reimbursements: 2)),
    BadInputCase(name: "100,000-element group array", setup: { c in try badCustomer(c) }, action: { c in
        let groups = (1...99_999).map { "G\($0)" } + ["RETAIL"]
        return try insertJob(c, "customer_groups", "$1", groups)
    }, expected: .succeeds(reimbursements: 1)),
    BadInputCase(name: "quotes, backslashes, unicode and '; DROP TABLE in accounts and arrays", setup: { c in
        try LedgerFixture.customer("BAD", nasty, group: nasty, on: c)
        try LedgerFixture.transaction("BAD", nasty, amount: "-12.5", ledgerAccount: nasty, on: c)
        try c.execute("UPDATE company SET vendor_summary_account = $1, one_time_vendor_group = $1 WHERE id = 'BAD'", nasty)
        try c.execute("UPDATE number_sequence SET prefix = $1 WHERE company_id = 'BAD' AND name = 'one_time_vendor'",
                      #"'"\\ü;"#)
    }, action: { c in
        try insertJob(c, "customer_accounts, customer_groups", "$1, $2", [nasty, "x\"y", "a,b", "{}", "NULL"], [nasty])
    }, expected: .succeeds(reimbursements: 1)),
    BadInputCase(name: "empty customer array selects nothing", setup: { c in try badCustomer(c) },
                 action: { try insertJob($0, "customer_accounts", "'{}'") }, expected: .succeeds(reimbursements: 0)),
    BadInputCase(name: "job cancelled while queued", setup: { c in try badCustomer(c) }, action: { c in
        let job = try insertJob(c)
        try c.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE id = $1", job)
        return job
    }, expected: .cancelled),
    BadInputCase(name: "job cancelled while running", setup: { c in
        try c.execute("""
            INSERT INTO customer (company_id, account, name, customer_group, currency)
            SELECT 'BAD', 'R' || lpad(i::text, 5, '0'), 'R', 'RETAIL', 'USD' FROM generate_series(1, 2000) i
            """)
        try c.execute("""
            INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount, amount_accounting, ledger_account)
            SELECT 'BAD', 'R' || lpad(i::text, 5, '0'), 'payment', 'USD', -i, -i, '1200' FROM generate_series(1, 2000) i
            """)
    }, action: { try insertJob($0) }, expected: .cancelled, cancelWhileRunning: true),
    // ---- issue 11 kind 7 / issue 12 item 7: values the rules cannot use, refused by name (sql/0010) ----
    BadInputCase(name: "NaN minimum reimbursement", action: { c in
        try c.execute("UPDATE company SET minimum_reimbursement = 'NaN' WHERE id = 'BAD'")
        return nil
    }, expected: .rejected(constraint: "company_minimum_reimbursement_finite")),
    BadInputCase(name: "transaction with NaN amounts", action: { c in
        try LedgerFixture.customer("BAD", "B1", on: c)
        try LedgerFixture.transaction("BAD", "B1", amount: "NaN", accounting: "NaN", on: c)
        return nil
    }, expected: .rejected(constraint: "customer_transaction_amount_accounting_finite")),
    BadInputCase(name: "posting date infinity", setup: { c in try badCustomer(c) }, action: { c in
        try c.queryValue(Int64.self, "INSERT INTO reimbursement_job (company_id, posting_date) VALUES ('BAD', 'infinity') RETURNING id")
    }, expected: .rejected(constraint: "reimbursement_job_posting_date_range")),
    BadInputCase(name: "NULL inside customer_accounts", setup: { c in try badCustomer(c) },
                 action: { try insertJob($0, "customer_accounts", "ARRAY['B1', NULL]") },
                 expected: .rejected(constraint: "reimbursement_job_customer_accounts_no_null_elements")),
    BadInputCase(name: "run_at infinity", setup: { c in try badCustomer(c) },
                 action: { try insertJob($0, "run_at", "'infinity'") },
                 expected: .rejected(constraint: "reimbursement_job_run_at_range")),
    BadInputCase(name: "6 kB dedupe key", setup: { c in try badCustomer(c) }, action: { c in
        try insertJob(c, "dedupe_key", "$1", String((0..<6_144).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }))
    }, expected: .rejected(constraint: "reimbursement_job_dedupe_key_length")),
]

@Suite("Bad input")
struct BadInputTests {
    @Test func theTableIsBigEnough() {
        #expect(badInputCases.count >= 25)
    }

    @Test(arguments: badInputCases)
    func badInputIsRefusedOrReportedAndNothingIsHalfPosted(_ testCase: BadInputCase) async throws {
        let database = try await TestServer.database()
        let (good, outcome) = try await database.withConnection { c -> (Int64, Result<Int64?, PostgresError>) in
            try LedgerFixture.company("BAD", on: c)
            try LedgerFixture.company("GOOD", on: c)
            try LedgerFixture.customer("GOOD", "G1", on: c)
            try LedgerFixture.transaction("GOOD", "G1", amount: "-20", on: c)
            try testCase.setup(c)
            let good = try LedgerFixture.job("GOOD", on: c)
            do {
                return (good, .success(try testCase.action(c)))
            } catch let error as PostgresError where error.kind == .server {
                return (good, .failure(error))
            }
        }
        switch (testCase.expected, outcome) {
        case (.rejected(let constraint), .failure(let error)):
            #expect(error.constraintName == constraint, "\(error)")
        case (.rejectedState(let state), .failure(let error)):
            #expect(error.sqlState == state, "\(error)")
        case (_, .failure(let error)):
            Issue.record("unexpected rejection: \(error)")
        case (.rejected, .success), (.rejectedState, .success):
            Issue.record("the bad input was accepted")
        default:
            break
        }
        let job = try? outcome.get()
        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 2, exitWhenIdle: true)
        try daemons.start()
        if testCase.cancelWhileRunning, let job {
            try await waitUntil("the job to be under way", timeout: .seconds(60), interval: .milliseconds(10)) {
                try await database.withConnection { c in
                    try c.queryValue(Int.self, "SELECT customers_done FROM reimbursement_job WHERE id = $1", job) ?? 0
                } > 0
            }
            try await database.withConnection { c in
                _ = try c.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE id = $1", job)
            }
        }
        try await daemons.waitAll(timeout: .seconds(120))
        try await database.withConnection { c in
            let goodState = try c.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", good)
            #expect(goodState == "succeeded", "the healthy job of another company did not succeed")
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM reimbursement WHERE job_id = $1", good) == 1)
            if let job {
                let row = try c.execute(
                    "SELECT state, coalesce(last_error, ''), (SELECT count(*) FROM reimbursement WHERE job_id = $1)::int FROM reimbursement_job WHERE id = $1",
                    job).first!
                let state = try row.decode(String.self, at: 0)
                let lastError = try row.decode(String.self, at: 1)
                let posted = try row.decode(Int.self, at: 2)
                switch testCase.expected {
                case .jobFails(let phrase):
                    #expect(state == "failed")
                    #expect(lastError.contains(phrase), "last_error: \(lastError)")
                    #expect(posted == 0)
                case .skipped(let reason):
                    #expect(state == "succeeded", "\(lastError)")
                    let reasons = try c.strings("SELECT reason FROM reimbursement_skip WHERE job_id = $1", job)
                    #expect(reasons.contains(reason), "skips: \(reasons)")
                case .succeeds(let count):
                    #expect(state == "succeeded", "\(lastError)")
                    #expect(posted == count)
                case .cancelled:
                    #expect(state == "cancelled")
                    if testCase.cancelWhileRunning {
                        #expect(posted > 0 && posted < 2000, "\(posted) posted before the cancel")
                        figure("cancel while running: \(posted)/2000 customers posted, then cancelled")
                    } else {
                        #expect(posted == 0)
                    }
                case .rejected, .rejectedState:
                    #expect(state == "succeeded", "\(lastError)")
                }
            }
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job WHERE state IN ('queued', 'running')") == 0)
            try Ledgers.expectVerified(on: c)
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM company") == 2, "a table or company vanished")
        }
    }
}
