import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// One SQL statement with its bound parameters, Sendable so that test arguments and closures
/// can carry it to the connection's thread.
struct SQL: Sendable, CustomStringConvertible {
    var text: String
    var parameters: [any PostgresEncodable]

    init(_ text: String, _ parameters: any PostgresEncodable...) {
        self.text = text
        self.parameters = parameters
    }

    init(_ text: String, parameters: [any PostgresEncodable]) {
        self.text = text
        self.parameters = parameters
    }

    var description: String { text }
}

extension PostgresConnection {
    @discardableResult
    func run(_ statement: SQL) throws -> PostgresResult {
        try execute(statement.text, parameters: statement.parameters)
    }

    /// Runs a statement that is expected to fail and returns the server's error, or nil when it
    /// succeeded. Assertions stay with the caller, in the test's own task.
    func failure(_ statement: SQL) throws -> PostgresError? {
        do {
            try execute(statement.text, parameters: statement.parameters)
            return nil
        } catch let error as PostgresError where error.kind == .server {
            return error
        }
    }

    func failure(_ text: String, _ parameters: any PostgresEncodable...) throws -> PostgresError? {
        try failure(SQL(text, parameters: parameters))
    }

    func count(_ text: String, _ parameters: any PostgresEncodable...) throws -> Int {
        let result = try execute(text, parameters: parameters)
        return try result.first?.decode(Int.self, at: 0) ?? 0
    }

    func strings(_ text: String, _ parameters: any PostgresEncodable...) throws -> [String] {
        let result = try execute(text, parameters: parameters)
        return try result.rows.map { try $0.decode(String.self, at: 0) }
    }

    /// Column names of a relation as `SELECT *` returns them, in order.
    func columnNames(of relation: String) throws -> [String] {
        try execute("SELECT * FROM \(try quoteIdentifier(relation)) LIMIT 0").columnNames
    }
}

/// A short failure summary for messages.
func describe(_ error: PostgresError?) -> String {
    guard let error else { return "no error" }
    return "\(error.sqlState ?? "-") \(error.constraintName ?? "-"): \(error.message)"
}

/// A role name unique in the cluster: roles are cluster-wide and tests run in parallel.
func uniqueRoleName(_ prefix: String) -> String {
    let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    return "\(prefix)_\(suffix)"
}

extension TestDatabase {
    /// Runs `body` on a new connection to this database logged in as `user`, on a thread of
    /// its own (trust authentication: no password).
    func withConnection<T: Sendable>(
        asUser user: String, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let thread = DedicatedThread(name: "test-\(name)-\(user)")
        defer { thread.shutdown() }
        let conninfo = server.conninfo
        let database = name
        return try await thread.run {
            let connection = try PostgresConnection(
                conninfo: conninfo, overrides: ["dbname": database, "user": user],
                applicationName: "reimburse-schema-tests")
            return try body(connection)
        }
    }
}

/// Creates LOGIN roles, members of the given group role; roles are cluster-wide, so names
/// come from ``uniqueRoleName(_:)``.
func createLogin(_ name: String, memberOf group: String, on connection: PostgresConnection) throws {
    let role = try connection.quoteIdentifier(name)
    try connection.execute("CREATE ROLE \(role) LOGIN")
    try connection.execute("GRANT \(try connection.quoteIdentifier(group)) TO \(role)")
}

/// Drops test roles at the end of a test (best effort: a leftover role in the throwaway
/// cluster harms nothing).
func dropRoles(_ names: [String], on connection: PostgresConnection) {
    for name in names {
        guard let role = try? connection.quoteIdentifier(name) else { continue }
        _ = try? connection.execute("DROP ROLE IF EXISTS \(role)")
    }
}

// MARK: - Fixtures

/// The ids of one company's posted example (see ``Fixture/seedPostedCompany``).
struct PostedCompany: Sendable {
    var company: String
    var succeededJob: Int64
    var previewJob: Int64
    var queuedJob: Int64
    var reimbursement: Int64
    var vendorInvoice: Int64
}

enum Fixture {
    /// A company with the given code and accounting currency, minimum 10, summary account 2110.
    static func company(
        _ id: String, currency: String = "EUR", minimum: String = "10", on connection: PostgresConnection
    ) throws {
        try connection.execute(
            """
            INSERT INTO company (id, name, accounting_currency, minimum_reimbursement,
                                 vendor_summary_account, one_time_vendor_group, reimbursement_payment_days)
            VALUES ($1, $2, $3, $4::numeric, '2110', 'OTV', 14)
            """,
            id, "Company \(id)", currency, minimum)
    }

    static func customer(
        _ company: String, _ account: String, currency: String = "EUR", vendorAccount: String? = nil,
        onHold: Bool = false, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            """
            INSERT INTO customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address)
            VALUES ($1, $2, $3, 'RETAIL', $4, $5, $6, '1 Main St')
            """,
            company, account, "Customer \(account) of \(company)", currency, vendorAccount, onHold)
    }

    static func vendor(
        _ company: String, _ account: String, currency: String = "EUR", oneTime: Bool = false,
        customerAccount: String? = nil, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            """
            INSERT INTO vendor (company_id, account, name, vendor_group, currency, address, one_time, customer_account)
            VALUES ($1, $2, $3, 'OTV', $4, '1 Main St', $5, $6)
            """,
            company, account, "Vendor \(account) of \(company)", currency, oneTime, customerAccount)
    }

    @discardableResult
    static func transaction(
        _ company: String, _ customer: String, id: Int64? = nil, kind: String, currency: String = "EUR",
        amount: String, accounting: String? = nil, settled: String = "0", settledAccounting: String? = nil,
        ledgerAccount: String = "1200", voucher: String? = nil, on connection: PostgresConnection
    ) throws -> Int64 {
        let result = try connection.execute(
            """
            INSERT INTO customer_transaction (company_id, id, customer_account, voucher, transaction_date, kind,
                                              currency, amount, amount_accounting, settled_amount,
                                              settled_amount_accounting, ledger_account)
            OVERRIDING SYSTEM VALUE
            VALUES ($1, coalesce($2::bigint, nextval(pg_get_serial_sequence('customer_transaction', 'id'))),
                    $3, $4, DATE '2024-03-01', $5, $6, $7::numeric, $8::numeric, $9::numeric, $10::numeric, $11)
            RETURNING id
            """,
            company, id, customer, voucher, kind, currency, amount, accounting ?? amount, settled,
            settledAccounting ?? settled, ledgerAccount)
        return try unwrap(result.first, "RETURNING id").decode(Int64.self, at: 0)
    }

    /// Inserts a job with explicit daemon-owned values, as the superuser (the daemon's view).
    @discardableResult
    static func job(
        _ company: String, id: Int64? = nil, mode: String = "post", state: String = "queued",
        result: String? = nil, dedupeKey: String? = nil, approves: Int64? = nil, on connection: PostgresConnection
    ) throws -> Int64 {
        let row = try connection.execute(
            """
            INSERT INTO reimbursement_job (company_id, id, mode, state, result, dedupe_key, approves_job_id,
                                           attempts, started_at, finished_at, customers_total, customers_done)
            OVERRIDING SYSTEM VALUE
            VALUES ($1, coalesce($2::bigint, nextval(pg_get_serial_sequence('reimbursement_job', 'id'))),
                    $3, $4, $5::jsonb, $6, $7,
                    CASE WHEN $4 = 'queued' THEN 0 ELSE 1 END,
                    CASE WHEN $4 = 'queued' THEN NULL ELSE now() END,
                    CASE WHEN $4 IN ('succeeded', 'failed', 'cancelled') THEN now() END,
                    CASE WHEN $4 = 'queued' THEN NULL ELSE 3 END,
                    CASE WHEN $4 IN ('succeeded', 'failed', 'cancelled') THEN 3 ELSE 0 END)
            RETURNING id
            """,
            company, id, mode, state, result, dedupeKey, approves)
        return try unwrap(row.first, "RETURNING id").decode(Int64.self, at: 0)
    }

    /// A company with customers, transactions, jobs and one fully posted reimbursement, all
    /// consistent with each other (PRODUCT.md section 1, rule 8):
    ///   C1: a payment of -100 (ledger 1200), settled by reimbursement debit +100, one-time vendor
    ///       created for it, vendor invoice of 100, a balanced voucher;
    ///   C2: on hold, open credit -20 (a preview skipped it: on_hold);
    ///   C3: open credit -30 (the preview proposes 30 to its vendor V-C3).
    /// Ids are offset by `base` so that two companies' rows are told apart.
    @discardableResult
    static func seedPostedCompany(_ company: String, base: Int64, on connection: PostgresConnection) throws -> PostedCompany {
        try Fixture.company(company, on: connection)
        try customer(company, "C1", on: connection)
        try customer(company, "C2", onHold: true, on: connection)
        try customer(company, "C3", vendorAccount: "V-C3", on: connection)
        try vendor(company, "V-C3", on: connection)
        try vendor(company, "OTV-00000001", oneTime: true, customerAccount: "C1", on: connection)
        // Bank data (sql/0019): the company's paying account, a customer's and a vendor's.
        try connection.execute(
            """
            UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_account_bic = 'COBADEFFXXX',
                               bank_ledger_account = '1910' WHERE id = $1
            """, company)
        try connection.execute(
            "INSERT INTO customer_bank_account (company_id, customer_account, iban, bic) VALUES ($1, 'C1', 'FR1420041010050500013M02606', 'PSSTFRPPLIL')",
            company)
        try connection.execute(
            "INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic) VALUES ($1, 'V-C3', 'NL91ABNA0417164300', NULL)",
            company)

        let voucher = "RV-00000001"
        let credit = try transaction(
            company, "C1", id: base + 1, kind: "payment", amount: "-100", settled: "-100", on: connection)
        let debit = try transaction(
            company, "C1", id: base + 2, kind: "reimbursement", amount: "100", settled: "100", voucher: voucher,
            on: connection)
        let c2Credit = try transaction(company, "C2", id: base + 3, kind: "credit_note", amount: "-20", on: connection)
        let c3Credit = try transaction(company, "C3", id: base + 4, kind: "payment", amount: "-30", on: connection)
        _ = c2Credit

        let result = """
            {"customers": {"selected": 3, "reimbursed": 1, "no_credit_balance": 0,
                           "skipped": {"on_hold": 1, "below_minimum": 1}},
             "reimbursements": 1, "totals": {"EUR": {"amount": "100.000000", "amount_accounting": "100.000000"}}}
            """
        let succeeded = try job(company, id: base + 1, state: "succeeded", result: result, on: connection)
        let preview = try job(company, id: base + 2, mode: "preview", state: "succeeded", on: connection)
        let queued = try job(company, id: base + 3, on: connection)
        try connection.execute(
            """
            INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker, finished_at, outcome)
            VALUES ($1, $2, 1, 'host:1:0', now(), 'succeeded'), ($1, $3, 1, 'host:1:0', now(), 'succeeded')
            """,
            company, succeeded, preview)

        let reimbursement = base + 1
        let invoice = base + 1
        try connection.execute(
            """
            INSERT INTO reimbursement (company_id, id, job_id, customer_account, vendor_account,
                                       one_time_vendor_created, currency, amount, amount_accounting, voucher,
                                       posting_date, vendor_invoice_id)
            OVERRIDING SYSTEM VALUE
            VALUES ($1, $2, $3, 'C1', 'OTV-00000001', true, 'EUR', 100, 100, $4, DATE '2024-03-31', $5)
            """,
            company, reimbursement, succeeded, voucher, invoice)
        try connection.execute(
            """
            INSERT INTO vendor_invoice (company_id, id, vendor_account, invoice_number, voucher, invoice_date,
                                        due_date, currency, amount, amount_accounting, settled_amount,
                                        reimbursement_id)
            OVERRIDING SYSTEM VALUE
            VALUES ($1, $2, 'OTV-00000001', 'VI-00000001', $3, DATE '2024-03-31', DATE '2024-04-14',
                    'EUR', 100, 100, 0, $4)
            """,
            company, invoice, voucher, reimbursement)
        try connection.execute(
            """
            INSERT INTO customer_settlement (company_id, id, job_id, reimbursement_id, debit_transaction_id,
                                             credit_transaction_id, currency, amount, amount_accounting, settled_on)
            OVERRIDING SYSTEM VALUE
            VALUES ($1, $2, $3, $4, $5, $6, 'EUR', 100, 100, DATE '2024-03-31')
            """,
            company, base + 1, succeeded, reimbursement, debit, credit)
        try connection.execute(
            """
            INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                      amount, amount_accounting, reimbursement_id)
            VALUES ($1, $2, 1, DATE '2024-03-31', '1200', 'customer_reimbursement', 'EUR', 100, 100, $3),
                   ($1, $2, 2, DATE '2024-03-31', '2110', 'vendor_balance', 'EUR', -100, -100, $3)
            """,
            company, voucher, reimbursement)
        try connection.execute(
            """
            INSERT INTO reimbursement_proposal (job_id, company_id, customer_account, vendor_account, currency,
                                                amount, amount_accounting, credit_transaction_ids)
            VALUES ($1, $2, 'C3', 'V-C3', 'EUR', 30, 30, $3)
            """,
            preview, company, [c3Credit])
        try connection.execute(
            """
            INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                            credit_balance, credit_balance_accounting)
            VALUES ($1, $2, 'C2', NULL, 'on_hold', NULL, 20)
            """,
            preview, company)
        // One open ledger period covering the posting (sql/0014).
        try connection.execute(
            "INSERT INTO ledger_period (company_id, period_start, period_end, status) VALUES ($1, '2024-03-01', '2024-03-31', 'open')",
            company)
        return PostedCompany(
            company: company, succeededJob: succeeded, previewJob: preview, queuedJob: queued,
            reimbursement: reimbursement, vendorInvoice: invoice)
    }
}

/// A setup or shape problem inside a connection closure. Closures run on a thread of their own,
/// so they throw instead of using `#require` or `precondition`; the test fails with the message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func unwrap<T>(_ value: T?, _ what: @autoclosure () -> String) throws -> T {
    guard let value else { throw TestFailure("missing: \(what())") }
    return value
}
