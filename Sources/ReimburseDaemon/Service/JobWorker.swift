import Foundation
import Logging
import Postgres
import ReimburseEngine
import ReimburseStore

/// One worker: a thread of its own with a connection of its own, claiming and running jobs one
/// at a time until the daemon stops.
struct JobWorker: Sendable {
    let index: Int
    let configuration: DaemonConfiguration
    let state: DaemonState
    let logger: Logger

    private var owner: String { "\(configuration.instanceName):w\(index)" }

    /// The worker's loop; blocks its thread.
    func run() {
        var connection: PostgresConnection?
        var reconnectDelay: Duration = .milliseconds(250)
        // One job when the queue is short; doubled while each claim comes back full.
        var claimLimit = 1
        while !state.isStopping {
            // Read before looking for work: a notification that arrives while this worker
            // claims (and finds nothing) must still wake it, not wait for the next poll.
            let generation = state.wakeGeneration
            // Nothing is claimed before the listener has checked the connection (no
            // transaction pooler in between).
            guard state.isConnectionChecked else {
                state.waitForWork(after: generation, timeout: .milliseconds(250))
                continue
            }
            do {
                if connection == nil || connection?.isConnected == false {
                    connection = try connect()
                    reconnectDelay = .milliseconds(250)
                    state.conditions.clear(logger: logger)
                }
                guard let connection else { continue }
                let leases = try JobQueue.claim(
                    owner: owner, leaseDuration: configuration.leaseDuration, limit: claimLimit, on: connection)
                if !leases.isEmpty {
                    let allSmall = leases.count == 1 ? run(leases[0], on: connection) : runBatch(leases, on: connection)
                    // Batches pay only for jobs that end in their first chunk: a bigger job
                    // would hold the rest of its batch back (they are handed back to the queue).
                    claimLimit = leases.count == claimLimit && allSmall
                        ? min(claimLimit * 2, configuration.claimBatchLimit) : 1
                    continue
                }
                claimLimit = 1
                if configuration.exitWhenIdle, try JobQueue.isIdle(on: connection) {
                    logger.info("no job runnable and none running: exiting")
                    state.stopBecauseIdle()
                    break
                }
                var wait = configuration.pollInterval
                if let due = try JobQueue.secondsUntilNextDue(on: connection), due > 0, due < 3600 {
                    wait = min(wait, .milliseconds(Int64(due * 1000) + 5))
                }
                state.waitForWork(after: generation, timeout: wait)
            } catch {
                if let outdated = SchemaPresence.outdated(error, schema: configuration.schema) {
                    state.stop(because: outdated)
                    break
                }
                if let condition = DatabaseCondition(error) {
                    // Replaced, not reused: a session that saw read-only keeps its settings.
                    connection = nil
                    state.conditions.report(
                        condition, error: error, interval: configuration.conditionRetryInterval, logger: logger)
                    state.waitForWork(after: state.wakeGeneration, timeout: configuration.conditionRetryInterval)
                    continue
                }
                logger.warning(
                    "\(DaemonErrorText.phrase(error)) while looking for work; retrying",
                    metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                               LogMetadataKey.error.rawValue: "\(error)",
                               "retry_in_ms": .stringConvertible(reconnectDelay.milliseconds)])
                if connection?.isConnected == false { connection = nil }
                // A fresh generation: the listener's "connection restored" wake-up ends the wait.
                state.waitForWork(after: state.wakeGeneration, timeout: reconnectDelay)
                reconnectDelay = min(reconnectDelay * 2, .seconds(30))
            }
        }
    }

    private func connect() throws -> PostgresConnection {
        try DaemonSession.open(configuration, name: sessionName)
    }

    var sessionName: String { "reimburse-worker-\(index)" }

    /// How long a chunk may wait for a lock it cannot skip (a vendor row, a number sequence)
    /// before it rolls back and the job waits in the queue without using an attempt
    /// (customers and their transactions are never waited for: they are deferred). A third of
    /// the lease, between 100 ms and 10 s: a worker should not sit on a lock for long while
    /// other companies' jobs wait for a worker.
    static func lockTimeout(forLease lease: Duration) -> Duration {
        min(.seconds(10), max(.milliseconds(100), lease / 3))
    }

    /// Runs one claimed job to its end in transactions of its own; true when it ended in its
    /// first chunk.
    private func run(_ lease: JobLease, on connection: PostgresConnection) -> Bool {
        state.took(lease, worker: index, session: connection.backendPID)
        let attempt = perform(lease, on: connection, batch: false, previous: nil)
        complete(attempt, on: connection)
        return attempt.endedInOneChunk
    }

    /// One attempt of a job as ``perform(_:on:batch:previous:)`` left it.
    final class PerformedAttempt {
        let lease: JobLease
        let facts: AttemptFacts
        let meter: AttemptMeter
        var handedBack = false
        /// Ran in a shared transaction and needs more chunks: it goes on after the commit.
        var continues = false
        /// Chunks begun (or looked for) by this attempt so far.
        var chunks = 0
        /// The job ended (whichever way) within its first chunk.
        var endedInOneChunk: Bool { !continues && chunks <= 1 }

        init(lease: JobLease, facts: AttemptFacts, meter: AttemptMeter) {
            self.lease = lease
            self.facts = facts
            self.meter = meter
        }
    }

    /// Records an attempt's metrics and lets go of its job, once its work is committed.
    func complete(_ attempt: PerformedAttempt, on connection: PostgresConnection) {
        attempt.meter.record(on: connection)
        // Other daemons learn of a job put back at once, not at their next poll.
        if attempt.handedBack { JobQueue.announceRequeued(on: connection) }
        state.released(jobID: attempt.lease.jobID)
    }

    /// Runs a claimed job and records how it ended in the job row. `batch`: inside the shared
    /// transaction of a batch, only its first chunk, in a savepoint, so that its failure undoes
    /// only its own work; the job's end is written in the same transaction. `previous`: the same
    /// attempt begun in a batch, going on (its metrics are one attempt).
    func perform(
        _ lease: JobLease, on connection: PostgresConnection, batch: Bool, previous: PerformedAttempt?
    ) -> PerformedAttempt {
        var logger = self.logger
        logger[metadataKey: .job] = .stringConvertible(lease.jobID)
        logger[metadataKey: .company] = "\(lease.companyID)"
        logger[metadataKey: .worker] = .stringConvertible(index)
        let started = ContinuousClock.now
        let attempt: PerformedAttempt
        if let previous {
            attempt = previous
            attempt.continues = false
        } else {
            let facts = AttemptFacts.read(lease, on: connection)
            attempt = PerformedAttempt(
                lease: lease, facts: facts, meter: AttemptMeter(facts: facts, jobID: lease.jobID, started: started))
        }
        let meter = attempt.meter
        let attemptNumber = attempt.facts.attempt
        let maxAttempts = attempt.facts.maxAttempts
        logger[metadataKey: .attempt] = .stringConvertible(attemptNumber)
        if previous == nil { logger.info("job started") }
        let runner = JobRunner(
            connection: connection,
            configuration: JobRunnerConfiguration(
                chunkSize: configuration.chunkSize, leaseDuration: configuration.leaseDuration,
                lockTimeout: Self.lockTimeout(forLease: configuration.leaseDuration)),
            logger: logger)
        let state = self.state
        let index = self.index
        var chunks = 0
        defer { attempt.chunks += chunks }
        do {
            let shouldStop = {
                defer { chunks += 1 }
                return state.isStopping || (batch && chunks >= 1)
            }
            let outcome = try batch
                ? connection.savepoint("reimburse_job") { _ in
                    try runner.run(lease, shouldStop: shouldStop, progress: { _, _ in })
                }
                : runner.run(lease, shouldStop: shouldStop, progress: { _, _ in state.progressed(worker: index) })
            let elapsed = ContinuousClock.now - started
            switch outcome {
            case .succeeded(let tally), .cancelled(let tally):
                let name = if case .succeeded = outcome { "succeeded" } else { "cancelled" }
                meter.end(name == "succeeded" ? .succeeded : .cancelled, tally: tally)
                logger.info("job \(name)", metadata: summary(tally, elapsed: elapsed))
            case .interrupted where batch && !state.isStopping:
                attempt.continues = true
            case .interrupted(let tally):
                try JobStateStore.release(lease, on: connection)
                attempt.handedBack = true
                meter.end(.released, tally: tally)
                logger.info("job released for a graceful stop", metadata: summary(tally, elapsed: elapsed))
            case .waiting(let tally, let locked):
                // Already back in the queue (the chunk's commit did it), with a backoff.
                meter.end(.waiting, tally: tally)
                var metadata = summary(tally, elapsed: elapsed)
                metadata["locked_customers"] = .stringConvertible(locked)
                logger.info("job waits for customers another session holds; back in the queue", metadata: metadata)
            }
        } catch let failure as JobFailure {
            meter.end(.failed, failure: .job)
            fail(lease, message: failure.description, connection: connection, logger: logger)
        } catch let lost as LeaseLost {
            meter.end(.lost, failure: .leaseLost)
            logger.warning("\(lost.description); this worker's work on it was rolled back")
        } catch let error as PostgresError where DatabaseCondition(error) != nil {
            meter.end(.released, failure: .databaseCondition)
            handBack(lease, after: error, logger: logger)
        } catch let error as PostgresError where error.isRetryable {
            let outcome = retry(
                lease, error: error, attempt: attemptNumber, maxAttempts: maxAttempts, connection: connection,
                logger: logger)
            meter.end(outcome, failure: error.isLockWait ? .lockTimeout : .transient)
        } catch let error as PostgresError {
            // The server refused something that is not a race: bad data the rules did not
            // catch. It will not get better by retrying.
            meter.end(.failed, failure: .rejected)
            fail(lease, message: DatabaseErrorWording.jobFailure(error), connection: connection, logger: logger)
        } catch {
            meter.end(.failed, failure: .internal)
            fail(lease, message: "\(error)", connection: connection, logger: logger)
        }
        return attempt
    }

    private func fail(_ lease: JobLease, message: String, connection: PostgresConnection, logger: Logger) {
        logger.error("job failed", metadata: [LogMetadataKey.error.rawValue: "\(message)"])
        do {
            try JobStateStore.fail(lease, message: message, tally: nil, on: connection)
        } catch {
            logger.error("could not record the failure; the job will be rescued", metadata: [LogMetadataKey.error.rawValue: "\(error)"])
        }
    }

    /// Returns how the attempt ended, for its metrics.
    private func retry(
        _ lease: JobLease, error: PostgresError, attempt: Int, maxAttempts: Int, connection: PostgresConnection,
        logger: Logger
    ) -> JobAttemptOutcome {
        do {
            if !connection.isConnected {
                try connection.reconnect()
                try DaemonSession.prepare(connection, configuration: configuration, name: sessionName)
            }
            // Another session holds rows the job needs: that says nothing about the job or the
            // database's health, so it waits and backs off without using an attempt.
            if error.isLockWait {
                logger.info(
                    "job waits for a lock another session holds; back in the queue",
                    metadata: [LogMetadataKey.error.rawValue: "\(error)"])
                try JobStateStore.waitForLock(lease, error: error.description, backoff: LockWaitBackoff(), on: connection)
                return .waiting
            }
            // The last attempt: the job fails for good, and its attempt is recorded as failed,
            // not as a retry that will never come.
            guard attempt < maxAttempts else {
                fail(lease, message: "gave up after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(error)",
                     connection: connection, logger: logger)
                return .failed
            }
            let delay = RetryPolicy().delay(afterAttempt: attempt)
            logger.warning(
                "transient error, job goes back to the queue",
                metadata: [LogMetadataKey.error.rawValue: "\(error)", "retry_in_ms": .stringConvertible(delay.milliseconds)])
            try JobStateStore.retryOrFail(lease, error: error.description, backoff: delay, on: connection)
            return .retried
        } catch {
            // The database is away: the lease runs out, or the holder session is gone with the
            // connection, and the job is rescued when the server is back.
            logger.warning("could not requeue the job now; it will be rescued", metadata: [LogMetadataKey.error.rawValue: "\(error)"])
            return .lost
        }
    }

    private func summary(_ tally: JobTally, elapsed: Duration) -> Logger.Metadata {
        [
            LogMetadataKey.customers.rawValue: .stringConvertible(tally.selected),
            "reimbursed": .stringConvertible(tally.reimbursedCustomers),
            "reimbursements": .stringConvertible(tally.reimbursements),
            "skipped": .stringConvertible(tally.skipped.values.reduce(0, +)),
            LogMetadataKey.durationMilliseconds.rawValue: .stringConvertible(elapsed.milliseconds),
        ]
    }
}

extension PostgresError {
    /// Worth another attempt later: what the driver calls transient (a lost connection, a
    /// deadlock, a serialization failure, a server shutting down), and a wait that timed out
    /// (`lock_timeout`, `statement_timeout`, a cancelled statement): those say nothing about
    /// the job, only about what else was going on.
    var isRetryable: Bool {
        isTransient || sqlState == SQLState.lockNotAvailable || sqlState == SQLState.queryCanceled
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
