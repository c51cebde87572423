import Foundation
public import Logging
public import Postgres
public import ReimburseEngine

/// How a run of a claimed job ended.
public enum JobRunOutcome: Sendable, Equatable {
    /// Every selected customer is done; the job is marked succeeded.
    case succeeded(JobTally)
    /// `cancel_requested` was seen at a chunk boundary; the job is marked cancelled and keeps
    /// what it posted.
    case cancelled(JobTally)
    /// The caller asked to stop (a graceful shutdown); the job is left running with its
    /// checkpoint for the caller to release.
    case interrupted(JobTally)
    /// Only customers that another session holds are left. The job went back to the queue in
    /// the same commit (`run_at` backs off, up to ``JobRunnerConfiguration/lockWaitCap``), without
    /// using an attempt, with `wait_reason` saying why; it picks them up when claimed again.
    case waiting(JobTally, lockedCustomers: Int)
}

/// Settings of a run.
public struct JobRunnerConfiguration: Sendable {
    /// Customers per chunk transaction: large enough for bulk writes to pay, small enough to
    /// keep each transaction (and the locks it holds) short.
    public var chunkSize: Int
    /// How far each chunk commit pushes the lease's expiry.
    public var leaseDuration: Duration
    /// A chunk waiting longer than this for a lock gives up with a transient error, so one
    /// long transaction elsewhere cannot hold a worker indefinitely.
    /// Sub-second values are honoured (rounded up to whole milliseconds); zero means no limit,
    /// as for PostgreSQL's `lock_timeout`.
    public var lockTimeout: Duration

    /// The first wait of a job for locked rows; each further wait in a row doubles it, up to
    /// ``lockWaitCap``. Waits do not use attempts.
    public var lockWaitBase: Duration
    public var lockWaitCap: Duration

    public init(
        chunkSize: Int = 500, leaseDuration: Duration = .seconds(30), lockTimeout: Duration = .seconds(10),
        lockWaitBase: Duration = .seconds(1), lockWaitCap: Duration = .seconds(300)
    ) {
        self.chunkSize = max(1, chunkSize)
        self.leaseDuration = leaseDuration
        self.lockTimeout = lockTimeout
        self.lockWaitBase = lockWaitBase
        self.lockWaitCap = max(lockWaitBase, lockWaitCap)
    }

    /// The backoff of lock waits as ``JobStateStore`` applies it.
    var lockWaitBackoff: LockWaitBackoff { LockWaitBackoff(base: lockWaitBase, cap: lockWaitCap) }
}

/// Runs one claimed job chunk by chunk on one connection.
///
/// Each chunk is one short transaction: choose the next customers, lock exactly those that no
/// other session holds (the others are deferred and tried again after the rest), plan them
/// with the engine, post, record skips, and move the checkpoint, all fenced by the lease
/// token. A crash anywhere rolls back at most the chunk in flight; the next holder resumes
/// after the checkpoint, so no customer is ever posted twice, and none is passed over.
public final class JobRunner {
    private let connection: PostgresConnection
    private let configuration: JobRunnerConfiguration
    private let logger: Logger
    private var stagedWrites: Bool?

    public init(connection: PostgresConnection, configuration: JobRunnerConfiguration = .init(), logger: Logger) {
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs a job the caller holds until it is done, cancelled, or `shouldStop` says so at a
    /// chunk boundary. Marks the job succeeded or cancelled itself.
    ///
    /// Throws ``JobFailure`` (or an engine error as one) for business errors, ``LeaseLost``
    /// when another worker took the job, and ``PostgresError`` for database trouble; the
    /// caller decides between failing and retrying.
    public func run(
        _ lease: JobLease,
        shouldStop: () -> Bool = { false },
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> JobRunOutcome {
        let (job, operation, postingDate, setup) = try prepare(lease)
        return try run(
            lease, job: job, operation: operation, postingDate: postingDate, setup: setup,
            shouldStop: shouldStop, progress: progress)
    }

    /// The chunk loop, the same for every operation.
    private func run<Operation: JobOperation>(
        _ lease: JobLease, job: StoredJob, operation: Operation, postingDate: LocalDate,
        setup firstSetup: FirstChunkSetup?, shouldStop: () -> Bool, progress: (_ done: Int, _ total: Int) -> Void
    ) throws -> JobRunOutcome {
        var setup = firstSetup
        var position = ScanPosition<Operation.Key, Operation.Tally>(
            checkpoint: try job.checkpointCustomer.map { try operation.key(stored: $0) }, done: job.customersDone,
            tally: try operation.storedTally(job.result),
            deferred: try job.deferredCustomers.map { try operation.key(stored: $0) })
        let total = job.customersTotal ?? 0
        while true {
            if shouldStop() { return .interrupted(operation.outcomeTally(position.tally)) }
            let before = position.done
            let step = try runChunk(
                lease, job: job, operation: operation, postingDate: postingDate, position: position, setup: setup)
            setup = nil
            switch step {
            case .cancelled:
                return .cancelled(operation.outcomeTally(position.tally))
            case .finished(let next):
                if next.done > before { progress(next.done, max(total, next.done)) }
                return .succeeded(operation.outcomeTally(next.tally))
            case .waiting(let next):
                if next.done > before { progress(next.done, max(total, next.done)) }
                return .waiting(operation.outcomeTally(next.tally), lockedCustomers: next.deferred.count)
            case .advanced(let next):
                position = next
                progress(position.done, max(total, position.done))
            }
        }
    }

    /// Claims one queued job directly and runs it to its end: the library entry point (one job
    /// id in, its outcome out; nil when the job is not queued).
    ///
    /// The job never stays `running` behind the caller's back once this returns or throws: a
    /// business error (``JobFailure``) or data the database refuses fails the job; a lock
    /// timeout or a deadlock (another session holds rows the job needs) puts it back in the
    /// queue without using an attempt, backing off like a job waiting for locked customers
    /// (``JobRunOutcome/waiting(_:lockedCustomers:)``); another error that may pass (a lost
    /// connection, a serialization failure) puts it back as a retry counted against
    /// `max_attempts`. The error is rethrown in every case.
    public func runQueuedJob(id: Int64, owner: String = "library") throws -> JobRunOutcome? {
        guard let lease = try JobStateStore.claim(
            jobID: id, owner: owner, leaseDuration: configuration.leaseDuration, on: connection)
        else { return nil }
        do {
            return try run(lease)
        } catch let failure as JobFailure {
            try JobStateStore.fail(lease, message: failure.description, tally: nil, on: connection)
            throw failure
        } catch let error as PostgresError {
            // Best effort: when the connection itself is gone, the lease runs out and the job
            // is rescued; the caller hears about the original error.
            if connection.isConnected {
                if error.isLockWait {
                    try? JobStateStore.waitForLock(
                        lease, error: error.description, backoff: configuration.lockWaitBackoff, on: connection)
                } else if error.mayPassOnRetry {
                    try? JobStateStore.retryOrFail(lease, error: error.description, backoff: .zero, on: connection)
                } else {
                    try? JobStateStore.fail(
                        lease, message: DatabaseErrorWording.jobFailure(error), tally: nil, on: connection)
                }
            }
            throw error
        }
    }

    /// Where a run stands between chunks. A customer is behind the checkpoint only once it was
    /// posted or judged, is in `deferred`, or was gone under its account when the chunk that
    /// chose it came to lock it: the checkpoint never passes a customer nobody looked at.
    struct ScanPosition<Key, Tally> {
        /// The last key the scan chose (nil: none yet).
        var checkpoint: Key?
        /// Units (customers, reimbursements) planned (posted, skipped or counted) so far.
        var done: Int
        var tally: Tally
        /// Chosen units another session held, in the order they will be tried again.
        var deferred: [Key]
        /// The scan found nothing after the checkpoint in this run; the next chunk tries the
        /// deferred customers (after which the scan looks again: a customer renamed forward
        /// meanwhile shows up there).
        var scanExhausted = false
        /// Deferred customers tried since a chunk last got on; once every one of them was tried
        /// in vain, the job waits.
        var triedInVain = 0
    }

    private enum ChunkStep<Key, Tally> {
        case advanced(ScanPosition<Key, Tally>)
        /// The job ended in this chunk's transaction.
        case finished(ScanPosition<Key, Tally>)
        /// The job went back to the queue to wait for locked units, in this chunk's transaction.
        case waiting(ScanPosition<Key, Tally>)
        /// The job was marked cancelled in this chunk's transaction.
        case cancelled
    }

    /// What a job's first chunk records along with its postings: the total for progress and
    /// the effective posting date fixed once (``EffectivePostingDate``), so a job resumed on
    /// another day posts with the same date.
    struct FirstChunkSetup {
        var customersTotal: Int
        var postingDate: LocalDate
    }

    /// Loads the job and checks the company, its sequences, an approved preview and the financial
    /// controls (``JobStartControls``: four eyes, the effective date, its ledger period), and
    /// prepares the job's operation, in a read-only transaction (no WAL flush): what it decides
    /// is written by the first chunk's commit, which saves a small job one durable commit.
    private func prepare(_ lease: JobLease) throws -> (StoredJob, any JobOperation, LocalDate, FirstChunkSetup?) {
        try connection.transactionOrCurrent(readOnly: true) { connection in
            guard var job = try StoredJob.load(id: lease.jobID, on: connection) else {
                throw JobFailure("job \(lease.jobID) no longer exists")
            }
            let company = try CompanySettings.load(companyID: job.companyID, on: connection)
            try NettingJobSettings.apply(to: &job, company: company.rules, on: connection)
            if let approved = job.approvesJobID {
                let state = try connection.queryValue(
                    String.self,
                    "SELECT mode || '/' || state FROM reimbursement_job WHERE company_id = $1 AND id = $2",
                    job.companyID, approved)
                guard state == "preview/succeeded" else {
                    throw JobFailure(
                        "job \(job.id) approves job \(approved), which is not a succeeded preview of company "
                            + "\(job.companyID) (it is \(state ?? "missing"))")
                }
            }
            let effective = try JobStartControls.check(companyID: job.companyID, jobID: job.id, on: connection)
            let postingDate = effective.date
            let operation = try JobOperations.make(
                job: job, company: company.rules, postingDate: postingDate, on: connection)
            var setup: FirstChunkSetup?
            if job.customersTotal == nil || effective.needsRecording {
                let total = try operation.countSelected(on: connection)
                setup = FirstChunkSetup(customersTotal: job.customersTotal ?? total, postingDate: postingDate)
                job.customersTotal = job.customersTotal ?? total
            }
            return (job, operation, postingDate, setup)
        }
    }

    /// One chunk in one transaction: choose keys (the next ones of the scan, or deferred ones
    /// once the scan is through), lock exactly those that nobody else holds, plan and post them,
    /// and move the checkpoint. The job row is not locked before the last, fenced update, so the
    /// daemon's heartbeat never waits behind a chunk.
    private func runChunk<Operation: JobOperation>(
        _ lease: JobLease, job: StoredJob, operation: Operation, postingDate: LocalDate,
        position: ScanPosition<Operation.Key, Operation.Tally>, setup: FirstChunkSetup?
    ) throws -> ChunkStep<Operation.Key, Operation.Tally> {
        let staged = try stagedWritesNeeded()
        return try connection.transactionOrCurrent { connection in
            // The chunk's lock_timeout is set by the same round trip (for this transaction).
            let status = try connection.query("""
                SELECT cancel_requested, set_config('lock_timeout', $3, true) FROM reimbursement_job
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                """, lease.jobID, lease.token, "\(configuration.lockTimeout.postgresMilliseconds)ms") {
                try $0.decode(Bool.self, at: 0)
            }
            guard let cancelRequested = status.first else { throw LeaseLost(jobID: lease.jobID) }
            if cancelRequested {
                let final = try operation.finish(tally: position.tally, on: connection)
                try JobStateStore.markFinished(
                    lease, state: "cancelled", result: operation.resultJSON(final), inTransactionOn: connection)
                return .cancelled
            }
            try LedgerPeriodCheck.duringChunk(companyID: job.companyID, date: postingDate, on: connection)

            var next = position
            var keys: [Operation.Key] = []
            var scanning = false
            if !position.scanExhausted {
                keys = try operation.nextKeys(after: position.checkpoint, limit: configuration.chunkSize, on: connection)
                scanning = !keys.isEmpty
                next.scanExhausted = keys.count < configuration.chunkSize
            }
            if !scanning {
                guard !position.deferred.isEmpty else {
                    next.tally = try operation.finish(tally: position.tally, on: connection)
                    try record(lease, operation, next, gone: 0, gotOn: true, setup: setup, finishing: true, on: connection)
                    return .finished(next)
                }
                keys = Array(position.deferred.prefix(configuration.chunkSize))
            }
            let chunk = try operation.lock(keys, on: connection)
            let newTally = try operation.process(chunk, tally: position.tally, stagedWrites: staged, on: connection)

            let gotOn = chunk.unitCount > 0 || !chunk.gone.isEmpty
            next.tally = newTally
            let endsJob = scanning && next.scanExhausted && position.deferred.isEmpty && chunk.deferred.isEmpty
            if endsJob { next.tally = try operation.finish(tally: newTally, on: connection) }
            next.done = position.done + chunk.unitCount
            if scanning {
                next.checkpoint = keys.last
                next.deferred = position.deferred + chunk.deferred
            } else {
                // Still held: to the back of the line. After deferred ones, the scan looks again.
                next.deferred = Array(position.deferred.dropFirst(keys.count)) + chunk.deferred
                next.scanExhausted = false
                next.triedInVain = gotOn ? 0 : position.triedInVain + keys.count
            }
            try record(
                lease, operation, next, gone: chunk.gone.count, gotOn: gotOn, setup: setup, finishing: endsJob,
                on: connection)
            if !scanning && !gotOn && next.triedInVain >= next.deferred.count {
                try JobStateStore.markWaiting(
                    lease, reason: operation.waitReason(locked: next.deferred),
                    backoff: configuration.lockWaitBackoff, inTransactionOn: connection)
                return .waiting(next)
            }
            // A short last chunk of the scan with nothing deferred ends the job in the same
            // commit instead of opening another transaction only to find nothing left.
            if endsJob { return .finished(next) }
            return .advanced(next)
        }
    }

    /// The chunk's one write to the job row, fenced by the lease token: progress, checkpoint,
    /// deferred customers, the first chunk's total and posting date, and a renewed lease.
    /// `finishing`: the chunk ends the job, and the same statement marks it succeeded (as
    /// ``JobStateStore/markFinished(_:state:result:inTransactionOn:)`` does) and closes its
    /// attempt: one round trip and one row version instead of three and two.
    private func record<Operation: JobOperation>(
        _ lease: JobLease, _ operation: Operation, _ position: ScanPosition<Operation.Key, Operation.Tally>, gone: Int,
        gotOn: Bool, setup: FirstChunkSetup?, finishing: Bool = false, on connection: PostgresConnection
    ) throws {
        let updated = try connection.queryValue(Int.self, Self.recordSQL,
            lease.jobID, lease.token, position.checkpoint.map(operation.storedKey), position.done,
            operation.resultJSON(position.tally), configuration.leaseDuration.postgresSeconds,
            position.deferred.map(operation.storedKey), gone, gotOn,
            setup?.customersTotal, setup?.postingDate, finishing, lease.owner)
        guard updated == 1 else { throw LeaseLost(jobID: lease.jobID) }
    }

    static let recordSQL = """
        WITH job AS (
            UPDATE reimbursement_job
               SET checkpoint_customer = $3, customers_done = $4, result = $5::jsonb,
                   -- clock_timestamp(), not now(): now() is when the chunk began, and a chunk
                   -- longer than the lease would write a lease that has already run out.
                   heartbeat_at = clock_timestamp(),
                   lease_expires_at = CASE WHEN $12 THEN NULL ELSE clock_timestamp() + make_interval(secs => $6) END,
                   deferred_customers = $7::text[], customers_gone = customers_gone + $8,
                   lock_waits = CASE WHEN $9 THEN 0 ELSE lock_waits END,
                   wait_reason = NULL,
                   customers_total = coalesce(customers_total, $10),
                   effective_posting_date = coalesce(effective_posting_date, $11),
                   state = CASE WHEN $12 THEN 'succeeded' ELSE state END,
                   finished_at = CASE WHEN $12 THEN clock_timestamp() ELSE finished_at END,
                   last_error = CASE WHEN $12 THEN NULL ELSE last_error END,
                   lease_owner = CASE WHEN $12 THEN NULL ELSE lease_owner END,
                   lease_token = CASE WHEN $12 THEN NULL ELSE lease_token END
             WHERE id = $1 AND lease_token = $2 AND state = 'running'
            RETURNING company_id, id
        ), attempt AS (
            UPDATE reimbursement_job_attempt a
               SET finished_at = clock_timestamp(), outcome = 'succeeded', error = NULL
              FROM job
             WHERE $12 AND a.company_id = job.company_id AND a.job_id = job.id AND a.finished_at IS NULL
               AND a.worker = $13
        )
        SELECT count(*)::int FROM job
        """

    /// `wait_reason` of a job waiting for customers another session holds.
    static func waitReason(lockedCustomers: [Code]) -> String {
        waitReason(locked: lockedCustomers.map(\.text), what: "customers")
    }

    /// `wait_reason` of a job waiting for units another session holds, naming the first five:
    /// "waiting for locked <what>: N (a, b, ...)". One wording for every operation.
    static func waitReason(locked: [String], what: String) -> String {
        let named = locked.prefix(5).joined(separator: ", ")
        let more = locked.count > 5 ? ", ..." : ""
        return "waiting for locked \(what): \(locked.count) (\(named)\(more))"
    }

    private func stagedWritesNeeded() throws -> Bool {
        if let stagedWrites { return stagedWrites }
        let applies = try BulkTableWriter.rowSecurityApplies(on: connection)
        stagedWrites = applies
        if applies {
            logger.info("row-level security applies to this login: bulk writes go through staging tables")
        }
        return applies
    }
}

extension PostgresError {
    /// Worth another attempt: what the driver calls transient, and a wait that timed out
    /// (`lock_timeout`, a cancelled statement), which says nothing about the job itself.
    var mayPassOnRetry: Bool {
        isTransient || sqlState == SQLState.lockNotAvailable || sqlState == SQLState.queryCanceled
    }

    /// Another session holds rows the job needs (a lock timeout, or a deadlock in which the
    /// chunk was chosen to yield): the job waits and backs off without using an attempt.
    public var isLockWait: Bool {
        sqlState == SQLState.lockNotAvailable || sqlState == SQLState.deadlockDetected
    }
}
