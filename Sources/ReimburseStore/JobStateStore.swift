import Foundation
public import Postgres
public import ReimburseEngine

/// The transitions of a job that the runner and the daemon make, each one statement fenced
/// by the lease token: a worker that lost its job changes nothing.
public enum JobStateStore {
    /// Marks a running job finished (succeeded or cancelled) with its result.
    public static func finish(
        _ lease: JobLease, state: String, tally: JobTally, on connection: PostgresConnection
    ) throws {
        try connection.transactionOrCurrent { connection in
            try markFinished(lease, state: state, tally: tally, inTransactionOn: connection)
        }
    }

    /// ``finish(_:state:tally:on:)`` inside the caller's transaction, so the last chunk and the
    /// job's end commit together: one durable commit fewer per job.
    static func markFinished(
        _ lease: JobLease, state: String, tally: JobTally, inTransactionOn connection: PostgresConnection
    ) throws {
        try markFinished(lease, state: state, result: tally.resultJSON(), inTransactionOn: connection)
    }

    /// ``markFinished(_:state:tally:inTransactionOn:)`` with the `result` text of any operation.
    static func markFinished(
        _ lease: JobLease, state: String, result: String, inTransactionOn connection: PostgresConnection
    ) throws {
        let updated = try connection.execute("""
            UPDATE reimbursement_job
               SET state = $3, finished_at = clock_timestamp(), result = $4::jsonb, last_error = NULL,
                   wait_reason = NULL,
                   lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_token = $2 AND state = 'running'
            """, lease.jobID, lease.token, state, result)
        guard updated.affectedRows == 1 else { throw LeaseLost(jobID: lease.jobID) }
        try closeAttempt(lease, outcome: state, error: nil, on: connection)
    }

    /// Fails a running job for good, keeping what it posted and counting it: `tally` when
    /// given, else the result its last chunk saved, else a result of zeros (a job that failed
    /// before its first chunk still says it reimbursed nothing).
    public static func fail(
        _ lease: JobLease, message: String, tally: JobTally?, on connection: PostgresConnection
    ) throws {
        try connection.transactionOrCurrent { connection in
            let updated = try connection.execute("""
                UPDATE reimbursement_job
                   SET state = 'failed', finished_at = clock_timestamp(), last_error = $3, wait_reason = NULL,
                       result = coalesce($4::jsonb, result, $5::jsonb),
                       lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                """, lease.jobID, lease.token, message, tally?.resultJSON(), JobTally().resultJSON())
            guard updated.affectedRows == 1 else { throw LeaseLost(jobID: lease.jobID) }
            try closeAttempt(lease, outcome: "failed", error: message, on: connection)
        }
    }

    /// Puts a running job back in the queue after a transient error, to run again at `runAt`,
    /// or fails it when its attempts are used up.
    public static func retryOrFail(
        _ lease: JobLease, error: String, backoff: Duration, on connection: PostgresConnection
    ) throws {
        try connection.transactionOrCurrent { connection in
            let updated = try connection.execute("""
                UPDATE reimbursement_job
                   SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                       finished_at = CASE WHEN attempts >= max_attempts THEN clock_timestamp() END,
                       run_at = CASE WHEN attempts >= max_attempts THEN run_at
                                     ELSE now() + make_interval(secs => $4) END,
                       result = CASE WHEN attempts >= max_attempts THEN coalesce(result, $5::jsonb) ELSE result END,
                       last_error = CASE WHEN attempts >= max_attempts
                                         THEN 'gave up after ' || attempts
                                              || CASE WHEN attempts = 1 THEN ' attempt: ' ELSE ' attempts: ' END || $3
                                         ELSE $3 END,
                       lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                RETURNING state
                """, lease.jobID, lease.token, error, backoff.postgresSeconds, JobTally().resultJSON())
            guard let state = try updated.first?.decode(String.self, at: 0) else { throw LeaseLost(jobID: lease.jobID) }
            // The audit says what happened: a retry, or the end of the job's attempts.
            try closeAttempt(lease, outcome: state == "failed" ? "failed" : "retry", error: error, on: connection)
        }
    }

    /// Puts a running job back in the queue because another session holds rows it needs (a
    /// lock timeout, a deadlock it yielded in): no attempt is used, `run_at` backs off, and
    /// `wait_reason` says why.
    public static func waitForLock(
        _ lease: JobLease, error: String, backoff: LockWaitBackoff, on connection: PostgresConnection
    ) throws {
        try connection.transactionOrCurrent { connection in
            try markWaiting(lease, reason: "waiting for a lock: \(error)", backoff: backoff, inTransactionOn: connection)
        }
    }

    /// ``waitForLock(_:error:backoff:on:)`` inside the caller's transaction, with the reason
    /// given: the chunk that found only locked customers left hands the job back in its commit.
    /// The wait is `base * 2^lock_waits`, at most `cap`; `lock_waits` counts the waits in a row
    /// (a chunk that gets on resets it).
    static func markWaiting(
        _ lease: JobLease, reason: String, backoff: LockWaitBackoff, inTransactionOn connection: PostgresConnection
    ) throws {
        let updated = try connection.execute("""
            UPDATE reimbursement_job
               SET state = 'queued', attempts = greatest(attempts - 1, 0),
                   run_at = clock_timestamp()
                            + make_interval(secs => least($4::numeric, $3::numeric * 2 ^ least(lock_waits, 30))),
                   lock_waits = lock_waits + 1, wait_reason = $5,
                   lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_token = $2 AND state = 'running'
            """, lease.jobID, lease.token, backoff.base.postgresSeconds, backoff.cap.postgresSeconds, reason)
        guard updated.affectedRows == 1 else { throw LeaseLost(jobID: lease.jobID) }
        try closeAttempt(lease, outcome: "waiting", error: reason, on: connection)
    }

    /// Hands a running job back without consuming an attempt (a graceful stop): it resumes
    /// from its checkpoint on the next claim, on this host or another.
    public static func release(_ lease: JobLease, on connection: PostgresConnection) throws {
        try connection.transactionOrCurrent { connection in
            let updated = try connection.execute("""
                UPDATE reimbursement_job
                   SET state = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
                       lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                """, lease.jobID, lease.token)
            guard updated.affectedRows == 1 else { throw LeaseLost(jobID: lease.jobID) }
            try closeAttempt(lease, outcome: "released", error: nil, on: connection)
        }
    }

    /// Records how the lease holder's attempt ended.
    static func closeAttempt(
        _ lease: JobLease, outcome: String, error: String?, on connection: PostgresConnection
    ) throws {
        try connection.execute("""
            UPDATE reimbursement_job_attempt
               SET finished_at = clock_timestamp(), outcome = $4, error = $5
             WHERE company_id = $1 AND job_id = $2 AND finished_at IS NULL AND worker = $3
            """, lease.companyID, lease.jobID, lease.owner, outcome, error)
    }

    /// Claims one specific queued job for `owner`: used by the library entry point and tests.
    /// The daemon claims through its fair queue instead.
    public static func claim(
        jobID: Int64, owner: String, leaseDuration: Duration, on connection: PostgresConnection
    ) throws -> JobLease? {
        try connection.transactionOrCurrent { connection in
            let token = UUID()
            let rows = try connection.query("""
                UPDATE reimbursement_job
                   SET state = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
                       lease_owner = $2, lease_token = $3,
                       lease_expires_at = now() + make_interval(secs => $4), heartbeat_at = now()
                 WHERE id = $1 AND state = 'queued' AND NOT cancel_requested
                RETURNING company_id
                """, jobID, owner, token, leaseDuration.postgresSeconds) { try $0.decode(String.self, at: 0) }
            guard let companyID = rows.first else { return nil }
            let lease = JobLease(jobID: jobID, companyID: companyID, token: token, owner: owner)
            try recordAttempt(lease, on: connection)
            return lease
        }
    }

    /// Opens the audit row of an attempt, numbered after the highest one recorded.
    public static func recordAttempt(_ lease: JobLease, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker, started_at)
            SELECT $1, $2, coalesce(max(attempt), 0) + 1, $3, clock_timestamp()
              FROM reimbursement_job_attempt WHERE company_id = $1 AND job_id = $2
            """, lease.companyID, lease.jobID, lease.owner)
    }
}

/// How long a job waits for rows another session holds: `base` the first time, doubling with
/// each wait in a row, never more than `cap`.
public struct LockWaitBackoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = max(base, cap)
    }
}
