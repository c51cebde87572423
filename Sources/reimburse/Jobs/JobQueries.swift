import Postgres

/// The reads and writes of the job commands, each one bound statement.
struct JobQueries {
    let connection: PostgresConnection

    /// The newest jobs first, filtered; at most `limit`.
    func list(company: String?, state: JobState?, limit: Int) throws -> [JobRow] {
        try connection.query(
            """
            SELECT \(JobRow.selectList)
              FROM reimbursement_job
             WHERE ($1::text IS NULL OR company_id = $1) AND ($2::text IS NULL OR state = $2)
             ORDER BY id DESC
             LIMIT $3
            """, company, state?.rawValue, limit
        ) { try JobRow($0) }
    }

    /// The job, or exit 65 naming it when it does not exist or is not visible to the login.
    func job(_ id: Int64) throws -> JobRow {
        let rows = try connection.query(
            "SELECT \(JobRow.selectList) FROM reimbursement_job WHERE id = $1", id) { try JobRow($0) }
        guard let row = rows.first else {
            throw CommandFailure.badData("unknown job \(id) (or its company is not granted to this login)")
        }
        return row
    }

    struct Attempt {
        var number: Int
        var worker: String
        var startedAt: String
        var finishedAt: String?
        var outcome: String?
        var error: String?
    }

    func attempts(of job: Int64) throws -> [Attempt] {
        try connection.query(
            """
            SELECT attempt, worker, \(JobRow.utc("started_at")), \(JobRow.utc("finished_at")), outcome, error
              FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt
            """, job
        ) { row in
            Attempt(number: try row.decode(at: 0), worker: try row.decode(at: 1), startedAt: try row.decode(at: 2),
                    finishedAt: try row.decode(at: 3), outcome: try row.decode(at: 4), error: try row.decode(at: 5))
        }
    }

    /// Jobs enqueued to retry `job`, oldest first.
    func retries(of job: Int64) throws -> [(id: Int64, state: String)] {
        try connection.query(
            "SELECT id, state FROM reimbursement_job WHERE retries_job_id = $1 ORDER BY id", job
        ) { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    /// Asks for the job to be cancelled; returns the state it was in when asked, nil when it
    /// had finished already.
    func requestCancel(_ id: Int64) throws -> String? {
        try connection.queryValue(
            String.self,
            """
            UPDATE reimbursement_job SET cancel_requested = true
             WHERE id = $1 AND state IN ('queued', 'running')
            RETURNING state
            """, id)
    }

    /// The columns a retry copies: those the enqueue role may set (whatever later migrations
    /// add), except the ones that identify or schedule this one request.
    static let notCopied: Set<String> = [
        "id", "run_at", "dedupe_key", "cancel_requested", "retries_job_id", "requested_by",
    ]

    /// Inserts a new job with the parameters of `job` and `retries_job_id = job`; returns its id.
    func insertRetry(of job: Int64) throws -> Int64 {
        let columns = try connection.query(
            """
            SELECT a.attname::text
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = 'reimbursement_job'::regclass AND a.attnum > 0 AND NOT a.attisdropped
               AND pg_catalog.has_column_privilege('reimburse_enqueue', a.attrelid, a.attnum, 'INSERT')
             ORDER BY a.attnum
            """
        ) { try $0.decode(String.self, at: 0) }.filter { !Self.notCopied.contains($0) }
        let list = try columns.map { try connection.quoteIdentifier($0) }.joined(separator: ", ")
        guard let id = try connection.queryValue(
            Int64.self,
            """
            INSERT INTO reimbursement_job (\(list), retries_job_id)
            SELECT \(list), id FROM reimbursement_job WHERE id = $1
            RETURNING id
            """, job)
        else { throw CommandFailure.badData("unknown job \(job) (or its company is not granted to this login)") }
        return id
    }
}
