import Postgres

extension DemoStory {
    /// Financial controls (PRODUCT.md section 6), one line each: a company that requires
    /// approval refuses a plain post, and a closed ledger period fails a job before it posts.
    mutating func showFinancialControls() async throws {
        printer.heading("Financial controls: four eyes and closed periods")
        let requireApproval = "UPDATE company SET require_approval = true WHERE id = 'USMF'"
        let plainPost = "INSERT INTO reimbursement_job (company_id) VALUES ('USMF')"
        let refusal = try await query { queries -> String in
            try queries.execute(requireApproval)
            do {
                try queries.execute(plainPost)
                return "accepted (unexpected)"
            } catch let error as PostgresError {
                return "refused: " + error.message
            }
        }
        printer.sql(requireApproval + "; " + plainPost + ";", result: refusal)

        let closeOctober = "INSERT INTO ledger_period (company_id, period_start, period_end, status) "
            + "VALUES ('GBSI', '2026-10-01', '2026-10-31', 'closed')"
        let lateJob = "INSERT INTO reimbursement_job (company_id, posting_date) VALUES ('GBSI', '2026-10-31') RETURNING id"
        let job = try await query { queries -> DemoJob in
            try queries.execute(closeOctober)
            return try queries.enqueue(lateJob, company: "GBSI")
        }
        try await runDaemonUntilIdle()
        let (state, error) = try await query { try $0.stateAndError(job) }
        // The demo's output never says "failed" of a story that went as told: the refusal is the point.
        let outcome = state == "failed" ? "job \(job.id) refused before posting: \(error)" : "job \(job.id) is \(state) (unexpected)"
        printer.sql(closeOctober + "; " + lateJob + ";", result: outcome)
        // GBSI now has period control: later chapters post in an open period from November on.
        let openFromNovember = "INSERT INTO ledger_period (company_id, period_start, period_end, status) "
            + "VALUES ('GBSI', '2026-11-01', '9999-12-31', 'open')"
        try await query { try $0.execute(openFromNovember) }
        printer.sql(openFromNovember + ";", result: "GBSI posts again from November on")
    }
}

extension DemoQueries {
    /// A job's state and `last_error` (empty when none).
    func stateAndError(_ job: DemoJob) throws -> (String, String) {
        let rows = try connection.query(
            "SELECT state, coalesce(last_error, '') FROM reimbursement_job WHERE company_id = $1 AND id = $2",
            job.company, job.id
        ) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        return rows.first ?? ("missing", "")
    }
}
