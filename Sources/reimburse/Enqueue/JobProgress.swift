import Postgres

/// What `--wait` reads of a job on every poll: the cheap columns the daemon updates per chunk.
struct JobProgress: Equatable {
    var state: String
    var customersDone: Int
    var customersTotal: Int?
    /// Queued, due now, and not held back by another session's locks: a daemon should take it.
    var runnableNow = false

    /// Queued and runnable, yet nobody took it.
    var isUnclaimed: Bool { state == "queued" && runnableNow }

    var isFinished: Bool { ["succeeded", "failed", "cancelled"].contains(state) }

    static func read(job: Int64, company: String, on connection: PostgresConnection) throws -> JobProgress {
        let rows = try connection.query(
            """
            SELECT state, customers_done, customers_total, run_at <= now() AND wait_reason IS NULL
              FROM reimbursement_job WHERE company_id = $1 AND id = $2
            """, company, job
        ) { row in
            JobProgress(
                state: try row.decode(String.self, at: 0),
                customersDone: try row.decode(Int.self, at: 1),
                customersTotal: try row.decode(Int?.self, at: 2),
                runnableNow: try row.decode(Bool.self, at: 3))
        }
        guard let progress = rows.first else {
            throw CommandFailure(
                "job \(job) of company '\(company)' disappeared while waiting for it", exitCode: .internalError)
        }
        return progress
    }
}
