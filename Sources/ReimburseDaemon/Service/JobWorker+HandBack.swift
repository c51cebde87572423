import Logging
import Postgres
import ReimburseStore

extension JobWorker {
    /// The database stopped taking writes (or connections) in the middle of a job: a condition
    /// of the database, not of the job. Nothing of the chunk in flight stayed (it rolled back
    /// whole). The job is handed back to the queue without using up an attempt, on a fresh
    /// session, as soon as one can write; meanwhile this worker's session lives on, so the job
    /// is not taken for abandoned, and its lease is kept renewed.
    ///
    /// Gives up when the daemon stops or the job was taken over; its lease then runs out and
    /// the job is rescued as usual.
    func handBack(_ lease: JobLease, after error: PostgresError, logger: Logger) {
        var lastError: any Error = error
        while !state.isStopping {
            if let condition = DatabaseCondition(lastError) {
                state.conditions.report(
                    condition, error: lastError, interval: configuration.conditionRetryInterval, logger: logger)
            } else {
                logger.warning(
                    "could not hand the job back now; it will be rescued",
                    metadata: [LogMetadataKey.error.rawValue: "\(lastError)"])
                return
            }
            state.progressed(worker: index)
            state.waitForWork(after: state.wakeGeneration, timeout: configuration.conditionRetryInterval)
            do {
                let fresh = try DaemonSession.open(configuration, name: sessionName)
                state.conditions.clear(logger: logger)
                try JobStateStore.release(lease, on: fresh)
                JobQueue.announceRequeued(on: fresh)
                logger.info("job handed back to the queue after the database condition; no attempt used")
                return
            } catch is LeaseLost {
                return
            } catch {
                lastError = error
            }
        }
    }
}
