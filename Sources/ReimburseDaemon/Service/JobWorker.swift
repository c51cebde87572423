import Foundation
import Logging
import Metrics
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
        while !state.isStopping {
            do {
                if connection == nil || connection?.isConnected == false {
                    connection = try connect()
                    reconnectDelay = .milliseconds(250)
                }
                guard let connection else { continue }
                if let lease = try JobQueue.claim(
                    owner: owner, leaseDuration: configuration.leaseDuration, on: connection)
                {
                    run(lease, on: connection)
                    continue
                }
                if configuration.exitWhenIdle, try JobQueue.isIdle(on: connection) {
                    logger.info("no job runnable and none running: exiting")
                    state.stopBecauseIdle()
                    break
                }
                var wait = configuration.pollInterval
                if let due = try JobQueue.secondsUntilNextDue(on: connection), due > 0, due < 3600 {
                    wait = min(wait, .milliseconds(Int64(due * 1000) + 5))
                }
                state.waitForWork(timeout: wait)
            } catch {
                logger.warning(
                    "database unavailable, retrying",
                    metadata: [LogMetadataKey.worker.rawValue: "\(index)", LogMetadataKey.error.rawValue: "\(error)",
                               "retry_in_ms": "\(reconnectDelay.milliseconds)"])
                if connection?.isConnected == false { connection = nil }
                state.waitForWork(timeout: reconnectDelay)
                reconnectDelay = min(reconnectDelay * 2, .seconds(30))
            }
        }
    }

    private func connect() throws -> PostgresConnection {
        let connection = try PostgresConnection(
            conninfo: configuration.conninfo, applicationName: "reimburse-worker-\(index)")
        // A session that idles inside a transaction holds back vacuum and locks: the server
        // ends it rather than let a stuck worker hurt everyone.
        try connection.execute("SELECT set_config('idle_in_transaction_session_timeout', '60s', false)")
        return connection
    }

    private func run(_ lease: JobLease, on connection: PostgresConnection) {
        var logger = self.logger
        logger[metadataKey: .job] = "\(lease.jobID)"
        logger[metadataKey: .company] = "\(lease.companyID)"
        logger[metadataKey: .worker] = "\(index)"
        let started = ContinuousClock.now
        state.took(lease, worker: index)
        Counter(label: "reimburse_jobs_claimed_total").increment()
        defer {
            JobQueue.unlock(jobID: lease.jobID, on: connection)
            state.released(worker: index)
        }
        let attempt = (try? connection.queryValue(Int.self, "SELECT attempts FROM reimbursement_job WHERE id = $1", lease.jobID)) ?? nil
        logger[metadataKey: .attempt] = "\(attempt ?? 0)"
        logger.info("job started")
        let runner = JobRunner(
            connection: connection,
            configuration: JobRunnerConfiguration(
                chunkSize: configuration.chunkSize, leaseDuration: configuration.leaseDuration),
            logger: logger)
        let state = self.state
        let index = self.index
        do {
            let outcome = try runner.run(
                lease, shouldStop: { state.isStopping }, progress: { _, _ in state.progressed(worker: index) })
            let elapsed = ContinuousClock.now - started
            switch outcome {
            case .succeeded(let tally), .cancelled(let tally):
                let name = if case .succeeded = outcome { "succeeded" } else { "cancelled" }
                Counter(label: "reimburse_jobs_finished_total", dimensions: [("state", name)]).increment()
                logger.info("job \(name)", metadata: summary(tally, elapsed: elapsed))
            case .interrupted(let tally):
                try JobStateStore.release(lease, on: connection)
                logger.info("job released for a graceful stop", metadata: summary(tally, elapsed: elapsed))
            }
        } catch let failure as JobFailure {
            fail(lease, message: failure.description, connection: connection, logger: logger)
        } catch let lost as LeaseLost {
            logger.warning("\(lost.description); this worker's work on it was rolled back")
        } catch let error as PostgresError where error.isTransient {
            retry(lease, error: error, attempt: attempt ?? 1, connection: connection, logger: logger)
        } catch let error as PostgresError {
            // The server refused something that is not a race: bad data the rules did not
            // catch. It will not get better by retrying.
            fail(lease, message: "database rejected the posting: \(error)", connection: connection, logger: logger)
        } catch {
            fail(lease, message: "\(error)", connection: connection, logger: logger)
        }
    }

    private func fail(_ lease: JobLease, message: String, connection: PostgresConnection, logger: Logger) {
        Counter(label: "reimburse_jobs_finished_total", dimensions: [("state", "failed")]).increment()
        logger.error("job failed", metadata: [LogMetadataKey.error.rawValue: "\(message)"])
        do {
            try JobStateStore.fail(lease, message: message, tally: nil, on: connection)
        } catch {
            logger.error("could not record the failure; the job will be rescued", metadata: [LogMetadataKey.error.rawValue: "\(error)"])
        }
    }

    private func retry(
        _ lease: JobLease, error: PostgresError, attempt: Int, connection: PostgresConnection, logger: Logger
    ) {
        let delay = RetryPolicy().delay(afterAttempt: attempt)
        logger.warning(
            "transient error, job goes back to the queue",
            metadata: [LogMetadataKey.error.rawValue: "\(error)", "retry_in_ms": "\(delay.milliseconds)"])
        do {
            if !connection.isConnected { try connection.reconnect() }
            try JobStateStore.retryOrFail(lease, error: error.description, backoff: delay, on: connection)
        } catch {
            // The database is away: the lease runs out, or the advisory lock vanished with the
            // connection, and the job is rescued when the server is back.
            logger.warning("could not requeue the job now; it will be rescued", metadata: [LogMetadataKey.error.rawValue: "\(error)"])
        }
    }

    private func summary(_ tally: JobTally, elapsed: Duration) -> Logger.Metadata {
        [
            LogMetadataKey.customers.rawValue: "\(tally.selected)",
            "reimbursed": "\(tally.reimbursedCustomers)",
            "reimbursements": "\(tally.reimbursements)",
            "skipped": "\(tally.skipped.values.reduce(0, +))",
            LogMetadataKey.durationMilliseconds.rawValue: "\(elapsed.milliseconds)",
        ]
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
