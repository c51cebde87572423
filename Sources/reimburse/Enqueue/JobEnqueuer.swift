import Postgres

/// Inserts a job after checking what the database would reject, so that the usual mistakes
/// get a message in the user's terms; the database's own checks stay the authority (a race
/// between the check and the insert still ends in a clear line through ``explain(_:for:)``).
struct JobEnqueuer {
    let connection: PostgresConnection

    struct Outcome: Equatable {
        var jobID: Int64
        /// True when an unfinished job with the same dedupe key existed, so nothing was added.
        var alreadyQueued: Bool
    }

    func enqueue(_ request: JobRequest) throws -> Outcome {
        try checkCompanyVisible(request.companyID)
        if let approved = request.approvesJobID {
            try checkApprovable(approved, company: request.companyID)
        }
        do {
            let result = try connection.execute(request.insertSQL, parameters: request.columns.map(\.value))
            if let row = result.first { return Outcome(jobID: try row.decode(Int64.self, at: 0), alreadyQueued: false) }
            return try existingJob(for: request)
        } catch let error as PostgresError {
            throw explain(error, for: request)
        }
    }

    /// Row-level security hides companies not granted to the login, so "not found" can mean
    /// either; the message says both.
    private func checkCompanyVisible(_ company: String) throws {
        let exists = try connection.queryValue(
            Bool.self, "SELECT EXISTS (SELECT 1 FROM company WHERE id = $1)", company) ?? false
        if !exists { throw unknownCompany(company) }
    }

    private func unknownCompany(_ company: String) -> CommandFailure {
        .badData("unknown company '\(company)': it does not exist or is not granted to you")
    }

    private func checkApprovable(_ jobID: Int64, company: String) throws {
        let rows = try connection.query(
            "SELECT mode, state FROM reimbursement_job WHERE company_id = $1 AND id = $2", company, jobID
        ) { row in (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1)) }
        guard let (mode, state) = rows.first else {
            throw CommandFailure.badData("cannot approve job \(jobID): company '\(company)' has no such job")
        }
        guard mode == "preview", state == "succeeded" else {
            let advice = mode == "preview" && (state == "queued" || state == "running")
                ? "; wait until it has succeeded (reimburse enqueue --wait, or reimburse status)" : ""
            throw CommandFailure.badData(
                "cannot approve job \(jobID): it is a \(mode) job in state \(state), "
                    + "only a succeeded preview job can be approved\(advice)")
        }
    }

    private func existingJob(for request: JobRequest) throws -> Outcome {
        let existing = try connection.queryValue(
            Int64.self,
            """
            SELECT id FROM reimbursement_job
             WHERE company_id = $1 AND dedupe_key = $2 AND state IN ('queued', 'running')
             ORDER BY id LIMIT 1
            """,
            request.companyID, request.dedupeKey)
        guard let existing else {
            throw CommandFailure.badData(
                "the job was not inserted and no unfinished job has dedupe key '\(request.dedupeKey ?? "")'; "
                    + "it may have just finished: run the command again")
        }
        return Outcome(jobID: existing, alreadyQueued: true)
    }

    /// Maps what the database enforces to the flag the person has to change.
    func explain(_ error: PostgresError, for request: JobRequest) -> any Error {
        switch (error.sqlState, error.constraintName) {
        case (SQLState.foreignKeyViolation, "reimbursement_job_company_fk"):
            return unknownCompany(request.companyID)
        case (SQLState.insufficientPrivilege, _) where error.message.contains("row-level security"):
            return unknownCompany(request.companyID)
        case (SQLState.foreignKeyViolation, "reimbursement_job_approves_fk"):
            return CommandFailure.badData(
                "cannot approve job \(request.approvesJobID ?? 0): company '\(request.companyID)' has no such job")
        case (SQLState.checkViolation, "reimbursement_job_approves_succeeded_preview"),
             (SQLState.checkViolation, "reimbursement_job_approves_requires_post"):
            return CommandFailure.badData("cannot approve job \(request.approvesJobID ?? 0): \(error.message)")
        case (SQLState.checkViolation, "reimbursement_job_four_eyes"):
            // The database's words already say what to do (sql/0014).
            return CommandFailure.badData(error.message)
        case (SQLState.foreignKeyViolation, "reimbursement_job_reverses_fk"):
            return CommandFailure.badData(
                "cannot reverse job \(request.reversesJobID ?? 0): company '\(request.companyID)' has no such job")
        case (SQLState.checkViolation, "reimbursement_job_reverses_finished_post_job"),
             (SQLState.checkViolation, "reimbursement_job_reverses_reimbursements_exist"),
             (SQLState.checkViolation, "reimbursement_job_reversal_date_not_before_original"):
            return CommandFailure.badData("cannot reverse: \(error.message)")
        case (SQLState.checkViolation, "reimbursement_job_operation_valid"):
            return CommandFailure.badData("this database cannot run reversals yet (run reimburse migrate): \(error.message)")
        case (SQLState.checkViolation, "reimbursement_job_dedupe_key_not_blank"):
            return CommandFailure.badData("--dedupe-key must not be empty")
        case (SQLState.checkViolation, "reimbursement_job_dedupe_key_length"):
            return CommandFailure.badData(
                "--dedupe-key is \(request.dedupeKey?.count ?? 0) characters long; at most 255 are allowed")
        case (SQLState.checkViolation, "reimbursement_job_run_at_range"):
            return CommandFailure.badData("--run-at must be a time from year 0001 to 9999 (UTC)")
        case (SQLState.checkViolation, "reimbursement_job_posting_date_range"):
            return CommandFailure.badData("--posting-date must be a date from 0001-01-01 to 9999-12-31")
        case (SQLState.checkViolation, "reimbursement_job_debit_handling_valid"):
            return CommandFailure.badData("--debit-handling is not accepted by this database: \(error.message)")
        default:
            return error
        }
    }
}
