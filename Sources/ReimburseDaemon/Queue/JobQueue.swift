import Foundation
import Postgres
import ReimburseStore

/// The queue's SQL: claim fairly, rescue the jobs of dead workers, cancel queued jobs, and tell
/// whether anything is left to do.
enum JobQueue {
    /// Companies with a runnable job and no running one, least recently served first, at most
    /// `$1` of them. The companies' queue rows are locked (SKIP LOCKED) so claimers spread over
    /// companies instead of queueing behind one; the running check is repeated under that lock
    /// by ``claimJobsSQL``.
    static let pickCompaniesSQL = """
        SELECT q.company_id
          FROM reimbursement_company_queue q
         WHERE EXISTS (SELECT 1 FROM reimbursement_job j
                        WHERE j.company_id = q.company_id AND j.state = 'queued'
                          AND j.run_at <= now() AND NOT j.cancel_requested)
           AND NOT EXISTS (SELECT 1 FROM reimbursement_job r
                            WHERE r.company_id = q.company_id AND r.state = 'running')
         ORDER BY q.last_claimed_at NULLS FIRST, q.company_id
         LIMIT $1
           FOR UPDATE OF q SKIP LOCKED
        """

    /// The next job of each picked company (`$1`), claimed in one statement. Runs in a new
    /// statement after the companies' locks, so its snapshot sees every commit made before the
    /// locks were granted. Times are `clock_timestamp()`: when the claim happened, not when its
    /// transaction began (a claim begun before the previous job's end committed would otherwise
    /// seem to overlap it). The materialized CTE fences the per-company LIMIT: the planner
    /// cannot re-run it and claim more than one job of a company.
    static let claimJobsSQL = """
        WITH next_job AS MATERIALIZED (
            SELECT n.id
              FROM unnest($1::text[]) AS p(company_id)
             CROSS JOIN LATERAL (
                SELECT j.id FROM reimbursement_job j
                 WHERE j.company_id = p.company_id AND j.state = 'queued' AND j.run_at <= now()
                   AND NOT j.cancel_requested
                   AND NOT EXISTS (SELECT 1 FROM reimbursement_job r
                                    WHERE r.company_id = p.company_id AND r.state = 'running')
                 ORDER BY j.priority DESC, j.run_at, j.id
                 LIMIT 1
                   FOR UPDATE SKIP LOCKED) AS n
        )
        UPDATE reimbursement_job j
           SET state = 'running', attempts = j.attempts + 1, started_at = coalesce(j.started_at, clock_timestamp()),
               lease_owner = $2, lease_token = gen_random_uuid(), heartbeat_at = clock_timestamp(),
               lease_expires_at = clock_timestamp() + make_interval(secs => $3),
               holder_pid = me.pid, holder_role = me.usesysid, holder_session = me.application_name,
               holder_backend_start = me.backend_start
          FROM next_job,
               (SELECT pid, usesysid, application_name, backend_start
                  FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid()) AS me
         WHERE j.id = next_job.id
        RETURNING j.id, j.company_id, j.lease_token
        """

    /// The claimed companies go to the back of the fairness order.
    static let markServedSQL = """
        UPDATE reimbursement_company_queue SET last_claimed_at = clock_timestamp() WHERE company_id = ANY($1::text[])
        """

    /// Opens the audit rows of the claimed jobs' attempts, each numbered after its job's highest.
    static let recordAttemptsSQL = """
        INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker, started_at)
        SELECT c.company_id, c.job_id,
               coalesce((SELECT max(a.attempt) FROM reimbursement_job_attempt a
                          WHERE a.company_id = c.company_id AND a.job_id = c.job_id), 0) + 1,
               $3, clock_timestamp()
          FROM unnest($1::text[], $2::bigint[]) AS c(company_id, job_id)
        """

    /// Claims the next job for `owner`, or nil when nothing is runnable.
    static func claim(owner: String, leaseDuration: Duration, on connection: PostgresConnection) throws -> JobLease? {
        try claim(owner: owner, leaseDuration: leaseDuration, limit: 1, on: connection).first
    }

    /// Claims the next jobs of up to `limit` companies for `owner` in one transaction (one
    /// durable commit), least recently served companies first, at most one job per company:
    /// empty when nothing is runnable. The claim records this session as each job's holder
    /// (``HolderSession``) in the same statement: a job is never visible as running without a
    /// holder that the rescue can check.
    static func claim(
        owner: String, leaseDuration: Duration, limit: Int, on connection: PostgresConnection
    ) throws -> [JobLease] {
        // Companies picked but found busy under their locks (a race) are no reason to sleep while
        // other companies wait: try a few times.
        for _ in 0..<3 {
            switch try claimOnce(owner: owner, leaseDuration: leaseDuration, limit: limit, on: connection) {
            case .claimed(let leases): return leases
            case .nothingRunnable: return []
            case .lostRace: continue
            }
        }
        return []
    }

    enum ClaimAttempt {
        case claimed([JobLease])
        case nothingRunnable
        case lostRace
    }

    static func claimOnce(
        owner: String, leaseDuration: Duration, limit: Int, on connection: PostgresConnection
    ) throws -> ClaimAttempt {
        do {
            return try connection.transaction { connection -> ClaimAttempt in
                let companies = try connection.query(pickCompaniesSQL, max(1, limit)) { try $0.decode(String.self, at: 0) }
                guard !companies.isEmpty else { return .nothingRunnable }
                let claimed = try connection.query(claimJobsSQL, companies, owner, seconds(leaseDuration)) { row in
                    JobLease(
                        jobID: try row.decode(Int64.self, at: 0), companyID: try row.decode(String.self, at: 1),
                        token: try row.decode(UUID.self, at: 2), owner: owner)
                }
                guard !claimed.isEmpty else { return .lostRace }
                // The fairness order follows the claim order, not the row order RETURNING gives.
                let order = Dictionary(uniqueKeysWithValues: companies.enumerated().map { ($1, $0) })
                let leases = claimed.sorted { (order[$0.companyID] ?? 0) < (order[$1.companyID] ?? 0) }
                try connection.execute(markServedSQL, leases.map(\.companyID))
                try connection.execute(recordAttemptsSQL, leases.map(\.companyID), leases.map(\.jobID), owner)
                return .claimed(leases)
            }
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation
            && error.constraintName == "reimbursement_job_one_running_per_company"
        {
            // The second guard: another claimer won the race for one of these companies.
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
    /// Never waits for a job row lock: rows another transaction holds are skipped (`SKIP
    /// LOCKED`), so one locked row costs only its own renewal, never the others'. A job row
    /// stays locked from its end's uncommitted UPDATE to the commit of a shared transaction
    /// (JobWorker+Batch): such a job is being worked on by its holder, and the rescue knows it
    /// (``JobRescue/runningSQL``) and leaves it be while its lease runs out. `lock_timeout`
    /// stays as a bound on any other lock (a table lock taken by hand): the heartbeat never
    /// stalls. Returns the jobs whose leases it renewed; nil when it gave up waiting for a lock.
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
        WITH live AS MATERIALIZED (
            SELECT j.id
              FROM reimbursement_job j
              JOIN unnest($1::bigint[], $2::uuid[], $3::int[], $4::bool[]) AS l(id, token, session, progressed)
                ON j.id = l.id
             WHERE j.lease_token = l.token AND j.state = 'running'
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
               FOR NO KEY UPDATE OF j SKIP LOCKED
        )
        UPDATE reimbursement_job j
           SET lease_expires_at = now() + make_interval(secs => $5), heartbeat_at = now()
          FROM live
         WHERE j.id = live.id
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
