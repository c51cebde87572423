import Postgres

/// The reversal chapter (PRODUCT.md section 8): one reimbursement reversed, its credit open again.
extension DemoStory {
    /// What the chapter reads and prints of the reimbursement it reverses.
    struct ReversalSnapshot: Sendable {
        var reimbursement: Int64
        var customer: String
        var currency: String
        var amount: String
        var openCredit: String
        var status: String
    }

    mutating func reverseOne(of job: DemoJob) async throws {
        printer.heading("Undo a mistake: reverse one reimbursement (operation = 'reverse')")
        let company = job.company
        guard let before = try await database.withConnection({ connection in
            try Self.snapshot(company: company, job: job.id, reimbursement: nil, on: connection)
        }) else {
            printer.line("job \(job.id) posted nothing to reverse")
            return
        }
        printer.line("reimbursement \(before.reimbursement) of customer \(before.customer): \(before.amount) "
            + "\(before.currency), status \(before.status); the customer's open \(before.currency) credit is now "
            + "\(before.openCredit)")
        let statement = "INSERT INTO reimbursement_job (company_id, operation, reverses_reimbursement_ids, reversal_reason) "
            + "VALUES (\(SQLLiteral.text(company)), 'reverse', '{\(before.reimbursement)}', 'paid to the wrong vendor') "
            + "RETURNING id"
        let reversal = try await database.withConnection { connection in
            try DemoQueries(connection: connection).enqueue(statement, company: company)
        }
        printer.sql(statement + ";", result: "job \(reversal.id)")
        try await runDaemonUntilIdle()
        let reimbursement = before.reimbursement
        let (after, voucher) = try await database.withConnection { connection in
            (try Self.snapshot(company: company, job: job.id, reimbursement: reimbursement, on: connection),
             try connection.queryValue(String.self, """
                 SELECT voucher FROM reimbursement_reversal WHERE company_id = $1 AND reimbursement_id = $2
                 """, company, reimbursement) ?? "none")
        }
        guard let after else { return }
        printer.line("after job \(reversal.id): status \(after.status), mirrored by voucher \(voucher); the credit is "
            + "open again: \(after.openCredit) \(after.currency), ready for the next run")
    }

    static func snapshot(
        company: String, job: Int64, reimbursement: Int64?, on connection: PostgresConnection
    ) throws -> ReversalSnapshot? {
        try connection.query("""
            SELECT r.reimbursement_id, r.customer_account, r.currency::text, r.amount::text, r.status,
                   coalesce((SELECT b.credit_balance FROM customer_credit_balance b
                              WHERE b.company_id = r.company_id AND b.customer_account = r.customer_account
                                AND b.currency = r.currency), 0)::text
              FROM reimbursement_report r
             WHERE r.company_id = $1 AND r.job_id = $2 AND ($3::bigint IS NULL OR r.reimbursement_id = $3)
               AND ($3::bigint IS NOT NULL OR r.status = 'open')
             ORDER BY r.reimbursement_id LIMIT 1
            """, company, job, reimbursement) { row in
            ReversalSnapshot(
                reimbursement: try row.decode(at: 0), customer: try row.decode(at: 1), currency: try row.decode(at: 2),
                amount: try row.decode(at: 3), openCredit: try row.decode(at: 5), status: try row.decode(at: 4))
        }.first
    }
}
