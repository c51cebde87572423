import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Ledgers for payment runs: a company with a paying account, customers with credits and
/// bank accounts, reimbursed by a first job (posted 2026-11-25, due 2026-12-09), then paid.
enum PaymentLedger {
    static let payDate = "2026-12-10"

    static func company(
        _ id: String, currency: String = "EUR", iban: String = "DE89370400440532013000", bic: String? = "COBADEFFXXX",
        format: String = "pain.001.001.09", on connection: PostgresConnection
    ) throws {
        try LedgerFixture.company(id, currency: currency, on: connection)
        try connection.execute(
            """
            UPDATE company SET bank_account_iban = $2, bank_account_bic = $3, bank_ledger_account = '1910',
                               payment_format = $4 WHERE id = $1
            """, id, iban, bic, format)
    }

    /// A customer with one open credit of `amount` and, when `iban` is given, a bank account.
    static func customer(
        _ company: String, _ account: String, amount: String, currency: String = "EUR", name: String? = nil,
        iban: String? = nil, bic: String? = nil, on connection: PostgresConnection
    ) throws {
        try LedgerFixture.customer(company, account, currency: currency, on: connection)
        if let name { try connection.execute("UPDATE customer SET name = $3 WHERE company_id = $1 AND account = $2", company, account, name) }
        try LedgerFixture.transaction(company, account, amount: "-" + amount, currency: currency, on: connection)
        if let iban {
            try connection.execute(
                "INSERT INTO customer_bank_account (company_id, customer_account, iban, bic) VALUES ($1, $2, $3, $4)",
                company, account, iban, bic)
        }
    }

    /// Runs a reimburse job over the company; returns its id.
    @discardableResult
    static func reimburse(_ company: String, on connection: PostgresConnection) throws -> Int64 {
        let job = try LedgerFixture.job(company, on: connection)
        try Store.run(job, on: connection)
        return job
    }

    /// Enqueues a pay job as a user would.
    static func payJob(
        _ company: String, mode: String = "post", date: String? = payDate, paysJobs: [Int64]? = nil,
        approves: Int64? = nil, on connection: PostgresConnection
    ) throws -> Int64 {
        try connection.queryValue(Int64.self, """
            INSERT INTO reimbursement_job (company_id, operation, mode, posting_date, pays_job_ids, approves_job_id)
            VALUES ($1, 'pay', $2, $3::date, $4, $5) RETURNING id
            """, company, mode, date, paysJobs, approves)!
    }

    static func documents(_ job: Int64, on connection: PostgresConnection) throws -> [(currency: String, document: String)] {
        try connection.query(
            "SELECT currency, document FROM payment_file WHERE job_id = $1 ORDER BY currency", job
        ) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    static func result(_ job: Int64, _ path: String, on connection: PostgresConnection) throws -> String? {
        try connection.queryValue(String?.self, "SELECT result #>> $2::text[] FROM reimbursement_job WHERE id = $1",
                                  job, path.split(separator: ".").map(String.init)) ?? nil
    }

    /// Every check of `reimburse verify` holds for the company.
    static func expectVerified(_ company: String, on connection: PostgresConnection,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        #expect(verification.violations.isEmpty, "\(verification.violations.map { "\($0.check): \($0.message)" })",
                sourceLocation: sourceLocation)
        #expect(verification.checks.contains("payment_file_matches_payments"), sourceLocation: sourceLocation)
    }
}
