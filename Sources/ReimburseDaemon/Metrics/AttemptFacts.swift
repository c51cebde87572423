import Postgres
import ReimburseEngine
import ReimburseStore

/// What a worker reads about a job right after claiming it: its attempt counters, and what
/// the metrics of the attempt need (operation, mode, how long it waited, the tally so far).
struct AttemptFacts: Sendable {
    var attempt: Int
    var maxAttempts: Int
    /// The job's operation, or that of the preview it approves (PRODUCT.md section 1).
    var operation: String
    var mode: String
    /// From `run_at` (when the job became runnable) to the claim; never negative.
    var queueWaitSeconds: Double
    /// The counts its earlier attempts saved in `result` (nil: unreadable).
    var tallyBefore: JobTally?

    static let sql = """
        SELECT j.attempts, j.max_attempts, coalesce(p.operation, j.operation), j.mode,
               greatest(0, extract(epoch FROM coalesce(
                   (SELECT max(a.started_at) FROM reimbursement_job_attempt a
                     WHERE a.company_id = j.company_id AND a.job_id = j.id AND a.worker = $2
                       AND a.finished_at IS NULL),
                   clock_timestamp()) - j.run_at))::float8,
               j.result::text
          FROM reimbursement_job j
          LEFT JOIN reimbursement_job p ON p.company_id = j.company_id AND p.id = j.approves_job_id
         WHERE j.id = $1
        """

    /// The facts of a claimed job; defaults that count nothing wrong when the read fails (the
    /// attempt itself then finds out what is wrong with the connection).
    static func read(_ lease: JobLease, on connection: PostgresConnection) -> AttemptFacts {
        let row = try? connection.query(sql, lease.jobID, lease.owner) { row in
            AttemptFacts(
                attempt: try row.decode(Int.self, at: 0), maxAttempts: try row.decode(Int.self, at: 1),
                operation: try row.decode(String.self, at: 2), mode: try row.decode(String.self, at: 3),
                queueWaitSeconds: try row.decode(Double.self, at: 4),
                tallyBefore: try? StoredJob.tally(storedResult: try row.decode(String?.self, at: 5)))
        }.first
        guard let facts = row else {
            return AttemptFacts(
                attempt: 1, maxAttempts: Int.max, operation: "reimburse", mode: "post", queueWaitSeconds: 0,
                tallyBefore: nil)
        }
        return facts
    }

    /// The tally the job's last committed chunk saved (after a failure: what the attempt
    /// posted before it).
    static func storedTally(jobID: Int64, on connection: PostgresConnection) -> JobTally? {
        guard let job = try? StoredJob.load(id: jobID, on: connection) else { return nil }
        return try? job.storedTally()
    }
}
