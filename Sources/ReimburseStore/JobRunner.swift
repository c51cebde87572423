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

    public init(chunkSize: Int = 500, leaseDuration: Duration = .seconds(30), lockTimeout: Duration = .seconds(10)) {
        self.chunkSize = max(1, chunkSize)
        self.leaseDuration = leaseDuration
        self.lockTimeout = lockTimeout
    }
}

/// Runs one claimed job chunk by chunk on one connection.
///
/// Each chunk is one short transaction: lock the next customers, plan them with the engine,
/// post, record skips, and move the checkpoint, all fenced by the lease token. A crash
/// anywhere rolls back at most the chunk in flight; the next holder resumes after the
/// checkpoint, so no customer is ever posted twice.
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
        var (job, company, postingDate, setup) = try prepare(lease)
        var tally = try job.storedTally()
        var checkpoint = job.checkpointCustomer
        var done = job.customersDone
        let total = job.customersTotal ?? 0
        let planner = ReimbursementPlanner(
            company: company.rules,
            options: JobOptions(
                debitHandling: DebitHandling(rawValue: job.debitHandling) ?? .skip,
                summarize: job.summarize,
                postingDate: postingDate,
                mode: job.engineMode))
        while true {
            if shouldStop() { return .interrupted(tally) }
            let step = try runChunk(
                lease, job: job, company: company.rules, postingDate: postingDate, planner: planner,
                after: checkpoint, tally: tally, done: done, setup: setup)
            setup = nil
            switch step {
            case .cancelled:
                return .cancelled(tally)
            case .finished(let finalTally, let count):
                done += count
                if count > 0 { progress(done, max(total, done)) }
                return .succeeded(finalTally)
            case .advanced(let lastCustomer, let newTally, let count):
                checkpoint = lastCustomer
                tally = newTally
                done += count
                progress(done, max(total, done))
            }
        }
    }

    /// Claims one queued job directly and runs it to its end: the library entry point (one job
    /// id in, its outcome out; nil when the job is not queued).
    ///
    /// The job never stays `running` behind the caller's back once this returns or throws: a
    /// business error (``JobFailure``) or data the database refuses fails the job; a wait or
    /// race that may pass (a lock timeout, a deadlock, a lost connection) puts it back in the
    /// queue, as a retry counted against `max_attempts`. The error is rethrown either way.
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
                if error.mayPassOnRetry {
                    try? JobStateStore.retryOrFail(lease, error: error.description, backoff: .zero, on: connection)
                } else {
                    try? JobStateStore.fail(
                        lease, message: "database rejected the posting: \(error)", tally: nil, on: connection)
                }
            }
            throw error
        }
    }

    private enum ChunkStep {
        case advanced(lastCustomer: String, tally: JobTally, count: Int)
        /// The job ended in this chunk's transaction (after `count` more customers).
        case finished(JobTally, count: Int)
        /// The job was marked cancelled in this chunk's transaction.
        case cancelled
    }

    /// Loads the job, checks the company and its sequences, and fixes the job's posting date
    /// and its total once, so a job resumed on another day posts with the same date.
    /// What a job's first chunk records along with its postings: the total for progress and
    /// the posting date fixed once, so a job resumed on another day posts with the same date.
    struct FirstChunkSetup {
        var customersTotal: Int
        var postingDate: LocalDate
    }

    /// Loads the job and checks the company, its sequences and an approved preview, in a
    /// read-only transaction (no WAL flush): what it decides is written by the first chunk's
    /// commit, which saves a small job one durable commit.
    private func prepare(_ lease: JobLease) throws -> (StoredJob, CompanySettings, LocalDate, FirstChunkSetup?) {
        try connection.transaction(readOnly: true) { connection in
            guard var job = try StoredJob.load(id: lease.jobID, on: connection) else {
                throw JobFailure("job \(lease.jobID) no longer exists")
            }
            let company = try CompanySettings.load(companyID: job.companyID, on: connection)
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
            let postingDate: LocalDate
            if let fixed = job.postingDate {
                postingDate = fixed
            } else {
                postingDate = try connection.queryValue(LocalDate.self, "SELECT current_date")!
            }
            var setup: FirstChunkSetup?
            if job.customersTotal == nil || job.postingDate == nil {
                let total = try ChunkLoader(connection: connection, job: job).countSelected()
                setup = FirstChunkSetup(customersTotal: job.customersTotal ?? total, postingDate: postingDate)
                job.customersTotal = job.customersTotal ?? total
            }
            return (job, company, postingDate, setup)
        }
    }

    private func runChunk(
        _ lease: JobLease, job: StoredJob, company: CompanyRules, postingDate: LocalDate,
        planner: ReimbursementPlanner, after checkpoint: String?, tally: JobTally, done: Int,
        setup: FirstChunkSetup?
    ) throws -> ChunkStep {
        let staged = try stagedWritesNeeded()
        return try connection.transaction { connection in
            try connection.execute(
                "SELECT set_config('lock_timeout', $1, true)",
                "\(configuration.lockTimeout.postgresMilliseconds)ms")
            let status = try connection.query("""
                SELECT cancel_requested FROM reimbursement_job
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                """, lease.jobID, lease.token) { try $0.decode(Bool.self, at: 0) }
            guard let cancelRequested = status.first else { throw LeaseLost(jobID: lease.jobID) }
            if cancelRequested {
                try JobStateStore.markFinished(lease, state: "cancelled", tally: tally, inTransactionOn: connection)
                return .cancelled
            }
            if let setup {
                try connection.execute("""
                    UPDATE reimbursement_job
                       SET customers_total = coalesce(customers_total, $3), posting_date = coalesce(posting_date, $4)
                     WHERE id = $1 AND lease_token = $2 AND state = 'running'
                    """, lease.jobID, lease.token, setup.customersTotal, setup.postingDate)
            }

            let loader = ChunkLoader(connection: connection, job: job)
            let chunk = try loader.load(after: checkpoint, limit: configuration.chunkSize)
            let customers = chunk.customers
            guard let last = customers.last else {
                try JobStateStore.markFinished(lease, state: "succeeded", tally: tally, inTransactionOn: connection)
                return .finished(tally, count: 0)
            }

            let poster = ChunkPoster(
                connection: connection, job: job, company: company, postingDate: postingDate, stagedWrites: staged,
                withoutName: chunk.withoutName, withoutAddress: chunk.withoutAddress)
            let newTally = try ChunkProcessor(connection: connection, poster: poster, planner: planner)
                .process(chunk, tally: tally)

            let updated = try connection.execute("""
                UPDATE reimbursement_job
                   SET checkpoint_customer = $3, customers_done = $4, result = $5::jsonb,
                       heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $6)
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'
                """, lease.jobID, lease.token, last.account, done + customers.count, newTally.resultJSON(),
                configuration.leaseDuration.postgresSeconds)
            guard updated.affectedRows == 1 else { throw LeaseLost(jobID: lease.jobID) }
            // A short chunk is the last one: end the job in the same commit instead of opening
            // another transaction only to find nothing left.
            if customers.count < configuration.chunkSize {
                try JobStateStore.markFinished(lease, state: "succeeded", tally: newTally, inTransactionOn: connection)
                return .finished(newTally, count: customers.count)
            }
            return .advanced(lastCustomer: last.account.text, tally: newTally, count: customers.count)
        }
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
}
