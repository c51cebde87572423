import Foundation
import Logging
import Postgres
import ReimburseStore

extension JobWorker {
    /// Runs jobs of several companies, claimed together, in shared transactions: one durable
    /// commit (and one turn at the server's notification lock, which every commit that sends
    /// `reimbursement_job_finished` takes and holds through its WAL flush) for many small jobs
    /// instead of one per job.
    ///
    /// Each job runs its first chunk in a savepoint of its own and writes its end (succeeded,
    /// failed, cancelled, retry, waiting) in the same transaction: one job's failure rolls back
    /// only its own work, the others' stays. Every write is fenced by the job's lease token as
    /// in a job of its own. The claims committed before, so a crash rolls the shared
    /// transaction back and leaves every job running with its attempt recorded: the rescue puts
    /// them back in the queue, as for any job whose worker died.
    ///
    /// A job that needs more chunks ends the shared transaction: it goes on alone after the
    /// commit, and the claimed jobs not begun yet go back to the queue in that commit (no
    /// attempt used) so that other workers take them. A transaction takes no further job after
    /// `batchWindow`. When the shared commit fails, every job of it runs again alone.
    /// Returns true when every job ended in its first chunk.
    func runBatch(_ leases: [JobLease], on connection: PostgresConnection) -> Bool {
        var allSmall = true
        for lease in leases { state.took(lease, worker: index, session: connection.backendPID) }
        var pending = leases[...]
        while !pending.isEmpty {
            var performed: [PerformedAttempt] = []
            var handedOver: [JobLease] = []
            let opened = ContinuousClock.now
            let session = connection.backendPID
            do {
                try connection.execute("BEGIN")
                while let lease = pending.first,
                      performed.isEmpty || ContinuousClock.now - opened < configuration.batchWindow,
                      connection.isInTransaction, !connection.isTransactionFailed
                {
                    pending.removeFirst()
                    let attempt = perform(lease, on: connection, batch: true, previous: nil)
                    performed.append(attempt)
                    if attempt.continues || state.isStopping { break }
                }
                guard connection.isInTransaction, !connection.isTransactionFailed else {
                    throw BatchBroken()
                }
                if performed.contains(where: \.continues) || state.isStopping {
                    for lease in pending { try JobStateStore.release(lease, on: connection) }
                    handedOver = Array(pending)
                    pending = []
                }
                try connection.execute("COMMIT")
            } catch {
                // The session died (a job's retry may have opened a new one): the shared
                // transaction died with it. The job that met the failure recorded its own end
                // on the new session; the others are left to the rescue.
                if !connection.isConnected || connection.backendPID != session {
                    var lost = performed
                    if error is BatchBroken, let last = lost.popLast() { complete(last, on: connection) }
                    abandon(lost, rest: Array(pending) + handedOver, error: error, on: connection)
                    return false
                }
                _ = try? connection.execute("ROLLBACK")
                logger.warning(
                    "a shared transaction of \(performed.count) jobs could not commit; running them one by one",
                    metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                               LogMetadataKey.error.rawValue: "\(error)"])
                allSmall = false
                for attempt in performed {
                    complete(perform(attempt.lease, on: connection, batch: false, previous: attempt), on: connection)
                }
                pending = handedOver[...] + pending
                continue
            }
            state.progressed(worker: index)
            if !handedOver.isEmpty || performed.contains(where: { !$0.endedInOneChunk }) { allSmall = false }
            for attempt in performed where !attempt.continues { complete(attempt, on: connection) }
            if !handedOver.isEmpty { recordHandedOver(handedOver, on: connection) }
            for attempt in performed where attempt.continues {
                complete(perform(attempt.lease, on: connection, batch: false, previous: attempt), on: connection)
            }
        }
        return allSmall
    }

    /// Jobs of a batch that went back to the queue unbegun: their attempts were released.
    private func recordHandedOver(_ leases: [JobLease], on connection: PostgresConnection) {
        for lease in leases {
            let meter = AttemptMeter(facts: AttemptFacts.read(lease, on: connection), jobID: lease.jobID, started: .now)
            meter.end(.released)
            meter.record(on: connection)
            state.released(jobID: lease.jobID)
        }
        JobQueue.announceRequeued(on: connection)
    }

    /// The session went away with the shared transaction: nothing of it stayed, every job is
    /// still running under a holder session that is gone, and the rescue puts it back.
    private func abandon(
        _ performed: [PerformedAttempt], rest: [JobLease], error: any Error, on connection: PostgresConnection
    ) {
        logger.warning(
            "the connection was lost during a shared transaction of \(performed.count) jobs; they will be rescued",
            metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                       LogMetadataKey.error.rawValue: "\(error)"])
        for attempt in performed {
            attempt.meter.end(.lost, failure: .transient)
            attempt.meter.record(on: connection)
            state.released(jobID: attempt.lease.jobID)
        }
        for lease in rest { state.released(jobID: lease.jobID) }
    }
}

/// A job of a shared transaction left it unusable (its connection was replaced, or a write
/// after its savepoint failed): the transaction is rolled back and its jobs run one by one.
struct BatchBroken: Error, CustomStringConvertible {
    var description: String { "the shared transaction was broken by one of its jobs" }
}
