import Foundation
import Postgres
import ReimburseStore

/// The queue's SQL: claim fairly, rescue the jobs of dead workers, cancel queued jobs, and tell
/// whether anything is left to do.
enum JobQueue {
    /// Companies with a runnable job and no running one, least recently served first. The
    /// company's queue row is locked (SKIP LOCKED) so claimers spread over companies instead of
    /// queueing behind one; the running check is repeated under that lock by ``claimJobSQL``.
    static let pickCompanySQL = """
        SELECT q.company_id
          FROM reimbursement_company_queue q
         WHERE EXISTS (SELECT 1 FROM reimbursement_job j
                        WHERE j.company_id = q.company_id AND j.state = 'queued'
                          AND j.run_at <= now() AND NOT j.cancel_requested)
           AND NOT EXISTS (SELECT 1 FROM reimbursement_job r
                            WHERE r.company_id = q.company_id AND r.state = 'running')
         ORDER BY q.last_claimed_at NULLS FIRST, q.company_id
         LIMIT 1
           FOR UPDATE OF q SKIP LOCKED
        """

    /// Runs in a new statement after the company lock, so its snapshot sees every commit made
    /// before the lock was granted. Times are `clock_timestamp()`: when the claim happened, not
    /// when its transaction began (a claim begun before the previous job's end committed would
    /// otherwise seem to overlap it). The materialized CTE fences the LIMIT: the planner cannot
    /// re-run it and claim more than one job.
    static let claimJobSQL = """
        WITH next_job AS MATERIALIZED (
            SELECT j.id FROM reimbursement_job j
             WHERE j.company_id = $1 AND j.state = 'queued' AND j.run_at <= now() AND NOT j.cancel_requested
               AND NOT EXISTS (SELECT 1 FROM reimbursement_job r
                                WHERE r.company_id = $1 AND r.state = 'running')
             ORDER BY j.priority DESC, j.run_at, j.id
             LIMIT 1
               FOR UPDATE SKIP LOCKED
        )
        UPDATE reimbursement_job j
           SET state = 'running', attempts = j.attempts + 1, started_at = coalesce(j.started_at, clock_timestamp()),
               lease_owner = $2, lease_token = $3, heartbeat_at = clock_timestamp(),
               lease_expires_at = clock_timestamp() + make_interval(secs => $4),
               holder_pid = me.pid, holder_role = me.usesysid, holder_session = me.application_name,
               holder_backend_start = me.backend_start
          FROM next_job,
               (SELECT pid, usesysid, application_name, backend_start
                  FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid()) AS me
         WHERE j.id = next_job.id
        RETURNING j.id
        """

    /// Claims the next job for `owner`, or nil when nothing is runnable. The claim records this
    /// session as the job's holder (``HolderSession``), in the same statement: the job is never
    /// visible as running without a holder that the rescue can check.
    static func claim(owner: String, leaseDuration: Duration, on connection: PostgresConnection) throws -> JobLease? {
        // A company picked but found busy under its lock (a race) is no reason to sleep while
        // other companies wait: try a few times.
        for _ in 0..<3 {
            switch try claimOnce(owner: owner, leaseDuration: leaseDuration, on: connection) {
            case .claimed(let lease): return lease
            case .nothingRunnable: return nil
            case .lostRace: continue
            }
        }
        return nil
    }

    enum ClaimAttempt {
        case claimed(JobLease)
        case nothingRunnable
        case lostRace
    }

    static func claimOnce(owner: String, leaseDuration: Duration, on connection: PostgresConnection) throws -> ClaimAttempt {
        do {
            return try connection.transaction { connection -> ClaimAttempt in
                guard let companyID = try connection.queryValue(String.self, pickCompanySQL) else {
                    return .nothingRunnable
                }
                let token = UUID()
                guard let jobID = try connection.queryValue(
                    Int64.self, claimJobSQL, companyID, owner, token, seconds(leaseDuration))
                else { return .lostRace }
                try connection.execute(
                    "UPDATE reimbursement_company_queue SET last_claimed_at = clock_timestamp() WHERE company_id = $1",
                    companyID)
                let lease = JobLease(jobID: jobID, companyID: companyID, token: token, owner: owner)
                try JobStateStore.recordAttempt(lease, on: connection)
                return .claimed(lease)
            }
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation
            && error.constraintName == "reimbursement_job_one_running_per_company"
        {
            // The second guard: another claimer won the race for this company.
            return .lostRace
        }
    }

    /// Wakes every daemon's workers: a job went back to the queue (a graceful release, a
    /// rescue) and is runnable now. The insert trigger only covers new jobs.
    static func announceRequeued(on connection: PostgresConnection) {
        _ = try? connection.execute("SELECT pg_notify('reimbursement_job', 'requeued')")
    }

    /// Lease durations as exact seconds for `make_interval(secs => ...)`.
    static func seconds(_ duration: Duration) -> String { duration.postgresSeconds }

    /// Queued jobs whose cancellation was asked for never start.
    static func cancelQueued(on connection: PostgresConnection) throws -> Int {
        try connection.execute("""
            UPDATE reimbursement_job SET state = 'cancelled', finished_at = clock_timestamp(), wait_reason = NULL
             WHERE state = 'queued' AND cancel_requested
            """).affectedRows
    }

    /// Extends the leases of the jobs this process holds and is still at work on: the worker
    /// finished a chunk within `window`, or its session is running a statement now or ran one
    /// within `window` (a chunk longer than a lease: a slow disk, a big customer, a trigger).
    /// A worker whose thread hangs leaves its session idle, so its lease runs out.
    ///
    /// The chunk does not lock the job row until its last, fenced update, so this statement
    /// does not wait behind a chunk; should it wait anyway (a commit in flight), it gives up
    /// after a moment and the next beat tries again: the heartbeat never stalls.
    /// Returns the jobs whose leases it renewed; nil when it gave up waiting for a row lock.
    @discardableResult
    static func renewLeases(
        _ leases: [DaemonState.LiveLease], window: Duration, duration: Duration, on connection: PostgresConnection
    ) throws -> Set<Int64>? {
        guard !leases.isEmpty else { return [] }
        do {
            return try connection.transaction { connection in
                try connection.execute("SELECT set_config('lock_timeout', '1s', true)")
                let renewed = try connection.query(renewLeasesSQL,
                    leases.map(\.lease.jobID), leases.map { $0.lease.token.uuidString.lowercased() },
                    leases.map(\.session), leases.map(\.progressedRecently), seconds(duration), seconds(window)
                ) { try $0.decode(Int64.self, at: 0) }
                return Set(renewed)
            }
        } catch let error as PostgresError where error.sqlState == SQLState.lockNotAvailable {
            return nil
        }
    }

    static let renewLeasesSQL = """
        UPDATE reimbursement_job j
           SET lease_expires_at = now() + make_interval(secs => $5), heartbeat_at = now()
          FROM unnest($1::bigint[], $2::uuid[], $3::int[], $4::bool[]) AS l(id, token, session, progressed)
         WHERE j.id = l.id AND j.lease_token = l.token AND j.state = 'running'
           AND (l.progressed OR EXISTS (
                -- The holder's exact session as the claim recorded it (the server's pid: behind
                -- a pooler libpq's PQbackendPID is the pooler's invention), busy or recently so.
                -- With track_activities off the state is 'disabled' and nothing tells busy from
                -- idle: the live holder keeps its lease (a hung worker is then found only when
                -- its session ends).
                SELECT 1 FROM pg_stat_activity a
                 WHERE (CASE WHEN j.holder_pid IS NULL THEN a.pid = l.session
                             ELSE a.pid = j.holder_pid AND a.usesysid = j.holder_role
                                  AND a.application_name = j.holder_session END)
                   AND (a.state IN ('active', 'disabled') OR a.state IS NULL
                        OR a.state_change > now() - make_interval(secs => $6))))
        RETURNING j.id
        """

    /// Nothing running and nothing due within a minute: an `--exit-when-idle` daemon may stop.
    /// Jobs waiting out a short retry backoff still count as work.
    static func isIdle(on connection: PostgresConnection) throws -> Bool {
        try connection.queryValue(Bool.self, """
            SELECT NOT EXISTS (SELECT 1 FROM reimbursement_job
                                WHERE state = 'running'
                                   OR (state = 'queued' AND run_at <= now() + interval '1 minute'))
            """) ?? false
    }

    /// Seconds until the next queued job comes due, to sleep exactly that long.
    static func secondsUntilNextDue(on connection: PostgresConnection) throws -> Double? {
        try connection.queryValue(Double?.self, """
            SELECT extract(epoch FROM min(run_at) - now())::float8 FROM reimbursement_job
             WHERE state = 'queued' AND NOT cancel_requested
            """) ?? nil
    }
}
