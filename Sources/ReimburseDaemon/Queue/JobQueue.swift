import Foundation
import Postgres
import ReimburseStore

/// The queue's SQL: claim fairly, rescue the jobs of dead workers, cancel queued jobs, and tell
/// whether anything is left to do.
enum JobQueue {
    /// Advisory locks of running jobs live in their own namespace (the first key).
    static let advisoryNamespace: Int32 = 0x5245_4D42

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
               lease_expires_at = clock_timestamp() + make_interval(secs => $4)
          FROM next_job
         WHERE j.id = next_job.id
        RETURNING j.id
        """

    /// Claims the next job for `owner`, or nil when nothing is runnable. The job's advisory
    /// lock is taken on this session before the claim commits, so the job is never visible as
    /// running without a live holder.
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

    /// How long a claim waits for the job's advisory lock. The previous holder lets go right
    /// after it commits the job's new state (a graceful release, a rescue), a moment later;
    /// a holder that keeps it longer is not ours to wait for.
    static let advisoryLockWait = "2s"

    static func claimOnce(owner: String, leaseDuration: Duration, on connection: PostgresConnection) throws -> ClaimAttempt {
        var lockedJob: Int64?
        var pickedCompany: String?
        var waitingForHolder = false
        do {
            return try connection.transaction { connection -> ClaimAttempt in
                guard let companyID = try connection.queryValue(String.self, pickCompanySQL) else {
                    return .nothingRunnable
                }
                pickedCompany = companyID
                let token = UUID()
                guard let jobID = try connection.queryValue(
                    Int64.self, claimJobSQL, companyID, owner, token, seconds(leaseDuration))
                else { return .lostRace }
                // Wait a moment rather than fail at once: between a holder's commit of the
                // job's new state and its unlock there is a round trip.
                waitingForHolder = true
                try connection.execute("SELECT set_config('lock_timeout', $1, true)", advisoryLockWait)
                try connection.execute("SELECT pg_advisory_lock($1, ($2 % 2147483647)::int)", advisoryNamespace, jobID)
                waitingForHolder = false
                lockedJob = jobID
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
            if let lockedJob { unlock(jobID: lockedJob, on: connection) }
            return .lostRace
        } catch let error as PostgresError where waitingForHolder && error.sqlState == SQLState.lockNotAvailable {
            // The job's previous holder still has it (its session lives on). Send the company to
            // the back of the line, so that this job does not stall every other company's, and
            // try the others; the job is claimed again once the holder is gone.
            if let pickedCompany {
                _ = try? connection.execute(
                    "UPDATE reimbursement_company_queue SET last_claimed_at = clock_timestamp() WHERE company_id = $1",
                    pickedCompany)
            }
            return .lostRace
        } catch {
            if let lockedJob { unlock(jobID: lockedJob, on: connection) }
            throw error
        }
    }

    static func unlock(jobID: Int64, on connection: PostgresConnection) {
        _ = try? connection.execute(
            "SELECT pg_advisory_unlock($1, ($2 % 2147483647)::int)", advisoryNamespace, jobID)
    }

    /// Wakes every daemon's workers: a job went back to the queue (a graceful release, a
    /// rescue) and is runnable now. The insert trigger only covers new jobs.
    static func announceRequeued(on connection: PostgresConnection) {
        _ = try? connection.execute("SELECT pg_notify('reimbursement_job', 'requeued')")
    }

    struct RunningJob: Sendable {
        var id: Int64
        var companyID: String
        var token: UUID
        var owner: String
        var leaseExpired: Bool
    }

    /// Lease durations as exact seconds for `make_interval(secs => ...)`.
    static func seconds(_ duration: Duration) -> String { duration.postgresSeconds }

    /// Ends the sessions that still hold the advisory lock of a job whose lease expired: a hung
    /// worker (or a frozen process) that no longer renews its lease. Its chunk in flight rolls
    /// back with its session, and its lock goes, so that the job can be taken over. Fenced:
    /// only while the job is still running under that token with its lease expired.
    static let endHungHolderSQL = """
        SELECT coalesce(bool_and(pg_terminate_backend(l.pid)), false)
          FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid = ($1::int)::oid AND l.objid = (($2 % 2147483647)::int)::oid
           AND l.pid <> pg_backend_pid()
           AND EXISTS (SELECT 1 FROM reimbursement_job j
                        WHERE j.id = $2 AND j.state = 'running' AND j.lease_token = $3 AND j.lease_expires_at < now())
        """

    /// Running jobs whose holder is gone: the holder's session advisory lock is free (its
    /// connection died, or it let go without recording why). Each is put back in the queue,
    /// fenced on the old token; it resumes from its checkpoint on the next claim.
    ///
    /// A job whose lease expired while its holder's session still holds the lock (the worker
    /// hangs) has that session ended first; the job is put back in a later round, once the lock
    /// is free. The lock is held while the job is put back, so no claimer can take it before
    /// the attempt is closed.
    static func rescueAbandoned(on connection: PostgresConnection) throws -> [RunningJob] {
        try rescueAbandoned(on: connection, endingHungHolders: { _ in })
    }

    static func rescueAbandoned(
        on connection: PostgresConnection, endingHungHolders: (RunningJob) -> Void
    ) throws -> [RunningJob] {
        let running = try connection.query("""
            SELECT id, company_id, lease_token, coalesce(lease_owner, ''), coalesce(lease_expires_at < now(), true)
              FROM reimbursement_job WHERE state = 'running'
            """) { row in
            RunningJob(
                id: try row.decode(at: 0), companyID: try row.decode(at: 1),
                token: try row.decode(UUID?.self, at: 2) ?? UUID(), owner: try row.decode(at: 3),
                leaseExpired: try row.decode(at: 4))
        }
        var rescued: [RunningJob] = []
        for job in running {
            let lockFree = try connection.queryValue(
                Bool.self, "SELECT pg_try_advisory_lock($1, ($2 % 2147483647)::int)", advisoryNamespace, job.id) ?? false
            guard lockFree else {
                if job.leaseExpired,
                   try connection.queryValue(Bool.self, endHungHolderSQL, advisoryNamespace, job.id, job.token) == true {
                    endingHungHolders(job)
                }
                continue
            }
            defer { unlock(jobID: job.id, on: connection) }
            let reset = try connection.transaction { connection -> Bool in
                let updated = try connection.execute("""
                    UPDATE reimbursement_job
                       SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                           finished_at = CASE WHEN attempts >= max_attempts THEN clock_timestamp() END,
                           last_error = CASE WHEN attempts >= max_attempts
                                             THEN 'gave up after ' || attempts || ' attempts: the worker running it died'
                                             ELSE last_error END,
                           run_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                     WHERE id = $1 AND state = 'running' AND lease_token = $2
                    """, job.id, job.token)
                guard updated.affectedRows == 1 else { return false }
                try connection.execute("""
                    UPDATE reimbursement_job_attempt
                       SET finished_at = clock_timestamp(), outcome = 'lost',
                           error = CASE WHEN $3 THEN 'lease expired' ELSE 'worker connection lost' END
                     WHERE company_id = $1 AND job_id = $2 AND finished_at IS NULL
                    """, job.companyID, job.id, job.leaseExpired)
                return true
            }
            if reset { rescued.append(job) }
        }
        return rescued
    }

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
                SELECT 1 FROM pg_stat_activity a
                 WHERE a.pid = l.session
                   AND (a.state = 'active' OR a.state_change > now() - make_interval(secs => $6))))
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
