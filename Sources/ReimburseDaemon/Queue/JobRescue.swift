import Foundation
import Postgres
import ReimburseStore

/// Puts back in the queue the running jobs whose holder is gone, and takes over those whose
/// holder hangs.
///
/// A holder is the exact database session that claimed the job (its pid, login, per-connection
/// application name and start time, recorded by the claim; see `sql/0012_job_holder_session.sql`).
/// It is alive while that session exists in `pg_stat_activity`, which no other login can fake or
/// prolong: a lock anyone can take says nothing here. Each job is handled on its own, so one
/// job's trouble (a holder this login may not signal) never stops the others' rescue.
enum JobRescue {
    /// A running job as the rescue sees it.
    struct RunningJob: Sendable {
        var id: Int64
        var companyID: String
        var token: UUID
        var owner: String
        var leaseExpired: Bool
        /// The claim recorded its session (the daemon's claims do; the library entry point's
        /// do not, and those jobs live by their lease alone).
        var holderKnown: Bool
        var holderAlive: Bool
        /// Its row is locked by another transaction while its holder session is at work
        /// (running a statement, or ran one within the window): a job that ended inside a shared
        /// transaction not committed yet. Its lease may run out (the heartbeat cannot renew a
        /// locked row), but it is not hung.
        var workedOn: Bool = false
    }

    /// What one pass did, job by job.
    enum Event: Sendable {
        /// Put back in the queue (or failed for good when its attempts are used up).
        case rescued(RunningJob)
        /// Its lease expired while its holder's session lived on: that session was ended.
        case endedHungHolder(RunningJob)
        /// Its holder hangs and this login may not end that session; the job was taken over
        /// anyway (the hung holder's writes are fenced by the lease token).
        case couldNotEndHungHolder(RunningJob, error: String)
        /// This job could not be handled in this pass; the others were.
        case failed(RunningJob, error: String)
    }

    /// True while the recorded holder session of `j` exists. The pid alone is not enough (pids
    /// are reused, also by sessions of other logins); the login, the per-connection name and
    /// (where this login may read it) the start time make it that session and no other.
    static let holderAlive = """
        EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                 WHERE a.pid = j.holder_pid AND a.usesysid = j.holder_role
                   AND a.application_name = j.holder_session
                   AND (a.backend_start IS NULL OR a.backend_start = j.holder_backend_start))
        """

    /// The running jobs. `$1`: the window (seconds) within which a holder's session must have
    /// been at work for its locked job row to count as worked on (``RunningJob/workedOn``).
    /// Whether a row is locked is learnt by trying to lock it (`FOR NO KEY UPDATE SKIP LOCKED`,
    /// released at the end of this statement; it does not conflict with the `FOR KEY SHARE` of
    /// foreign-key checks): PostgreSQL shows row locks nowhere else. Only jobs whose lease
    /// expired are tried, so a pass over healthy jobs locks nothing (and takes no transaction id).
    static let runningSQL = """
        WITH unlocked AS MATERIALIZED (
            SELECT id FROM reimbursement_job
             WHERE state = 'running' AND coalesce(lease_expires_at < now(), true)
               FOR NO KEY UPDATE SKIP LOCKED
        )
        SELECT j.id, j.company_id, j.lease_token, coalesce(j.lease_owner, ''),
               coalesce(j.lease_expires_at < now(), true), j.holder_pid IS NOT NULL,
               j.holder_pid IS NOT NULL AND \(holderAlive),
               j.holder_pid IS NOT NULL AND coalesce(j.lease_expires_at < now(), true)
                 AND NOT EXISTS (SELECT 1 FROM unlocked u WHERE u.id = j.id)
                 AND EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                              WHERE a.pid = j.holder_pid AND a.usesysid = j.holder_role
                                AND a.application_name = j.holder_session
                                AND (a.backend_start IS NULL OR a.backend_start = j.holder_backend_start)
                                AND (a.state IN ('active', 'disabled') OR a.state IS NULL
                                     OR a.state_change > now() - make_interval(secs => $1)))
          FROM reimbursement_job j
         WHERE j.state = 'running'
        """

    /// Ends the recorded holder session of a job whose lease expired, waiting up to a second for
    /// it to go, so its chunk in flight has rolled back and its row locks are free when the job
    /// is taken over. Only that session: the same identity as ``holderAlive``.
    static let endHungHolderSQL = """
        SELECT coalesce(bool_and(pg_catalog.pg_terminate_backend(a.pid, 1000)), false)
          FROM reimbursement_job j
          JOIN pg_catalog.pg_stat_activity a
            ON a.pid = j.holder_pid AND a.usesysid = j.holder_role AND a.application_name = j.holder_session
           AND (a.backend_start IS NULL OR a.backend_start = j.holder_backend_start)
         WHERE j.id = $1 AND j.lease_token = $2 AND j.state = 'running' AND j.lease_expires_at < now()
           AND a.pid <> pg_catalog.pg_backend_pid()
        """

    /// Puts the job back, fenced on its token and re-checked in the same statement: the lease
    /// expired, or the recorded holder session is gone.
    static let requeueSQL = """
        UPDATE reimbursement_job j
           SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
               finished_at = CASE WHEN attempts >= max_attempts THEN clock_timestamp() END,
               last_error = CASE WHEN attempts >= max_attempts
                                 THEN 'gave up after ' || attempts || ' attempts: the worker running it died'
                                 ELSE last_error END,
               run_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
         WHERE j.id = $1 AND j.state = 'running' AND j.lease_token = $2
           AND (coalesce(j.lease_expires_at < now(), true) OR (j.holder_pid IS NOT NULL AND NOT \(holderAlive)))
        """

    static let closeAttemptSQL = """
        UPDATE reimbursement_job_attempt
           SET finished_at = clock_timestamp(), outcome = 'lost',
               error = CASE WHEN $3 THEN 'lease expired' ELSE 'worker connection lost' END
         WHERE company_id = $1 AND job_id = $2 AND finished_at IS NULL
        """

    /// One pass over the running jobs. Throws only when the connection itself fails; a job's
    /// own trouble is reported as ``Event/failed(_:error:)`` and the pass goes on.
    ///
    /// - `window`: how recently a holder session must have been at work for a job whose row it
    ///   keeps locked to be left alone although its lease expired (the daemon's lease duration).
    /// - `handledHere`: true for a job a worker of this process still holds and will end itself
    ///   (its session died under it, and it hands the job back over a new one); such a job is
    ///   left alone until its lease runs out (the heartbeat keeps it only while the worker makes
    ///   progress), so a worker thread that hangs still loses it.
    static func pass(
        on connection: PostgresConnection, window: Duration = .seconds(30),
        handledHere: (RunningJob) -> Bool = { _ in false }
    ) throws -> [Event] {
        let running = try connection.query(runningSQL, JobQueue.seconds(window)) { row in
            RunningJob(
                id: try row.decode(at: 0), companyID: try row.decode(at: 1),
                token: try row.decode(UUID?.self, at: 2) ?? UUID(), owner: try row.decode(at: 3),
                leaseExpired: try row.decode(at: 4), holderKnown: try row.decode(at: 5),
                holderAlive: try row.decode(at: 6), workedOn: try row.decode(at: 7))
        }
        var events: [Event] = []
        for job in running {
            let holderGone = job.holderKnown && !job.holderAlive
            guard holderGone || job.leaseExpired else { continue }
            // A live holder still at work on a job whose row its transaction holds: not hung.
            if !holderGone && job.workedOn { continue }
            if !job.leaseExpired && handledHere(job) { continue }
            do {
                if job.holderAlive {
                    events.append(endHungHolder(job, on: connection))
                }
                if try requeue(job, on: connection) { events.append(.rescued(job)) }
            } catch let error as PostgresError where connection.isConnected && error.kind == .server {
                events.append(.failed(job, error: "\(error)"))
            }
        }
        return events
    }

    private static func endHungHolder(_ job: RunningJob, on connection: PostgresConnection) -> Event {
        do {
            let ended = try connection.queryValue(Bool.self, endHungHolderSQL, job.id, job.token) ?? false
            return ended ? .endedHungHolder(job)
                : .couldNotEndHungHolder(job, error: "the session did not end within a second")
        } catch {
            // Typically a holder of another login, which a non-superuser may not signal.
            return .couldNotEndHungHolder(job, error: "\(error)")
        }
    }

    private static func requeue(_ job: RunningJob, on connection: PostgresConnection) throws -> Bool {
        try connection.transaction { connection -> Bool in
            let updated = try connection.execute(requeueSQL, job.id, job.token)
            guard updated.affectedRows == 1 else { return false }
            try connection.execute(closeAttemptSQL, job.companyID, job.id, job.leaseExpired || job.holderAlive)
            return true
        }
    }
}
