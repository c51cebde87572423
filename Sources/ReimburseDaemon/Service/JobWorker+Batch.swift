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
    /// them back in the queue, as for any job whose worker died. When only the session dies
    /// under one job, that job's attempt counts and the others are handed back (no attempt
    /// used) over a new session.
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
                // transaction died with it. The job whose statement met the failure recorded
                // its own end on the new session (its attempt counts); the others did nothing
                // wrong and go back to the queue without using an attempt.
                if !connection.isConnected || connection.backendPID != session {
                    var ended = performed
                    if error is BatchBroken, let last = ended.popLast() {
                        complete(last, on: connection)
                        releaseAfterLostSession(ended: ended, unbegun: Array(pending) + handedOver, error: error, on: connection)
                    } else {
                        // Lost between jobs or at the commit: no job to tell from the others,
                        // so each attempt counts (the rescue puts them back), as when the
                        // process dies. Only the jobs never begun are released.
                        abandon(ended, error: error, on: connection)
                        releaseAfterLostSession(ended: [], unbegun: Array(pending) + handedOver, error: error, on: connection)
                    }
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

    /// The session went away with the shared transaction at a moment no single job can be
    /// blamed for: nothing of it stayed, every job it ran is still running under a holder
    /// session that is gone, and the rescue puts it back with its attempt used.
    private func abandon(_ performed: [PerformedAttempt], error: any Error, on connection: PostgresConnection) {
        guard !performed.isEmpty else { return }
        logger.warning(
            "the connection was lost during a shared transaction of \(performed.count) jobs; they will be rescued",
            metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                       LogMetadataKey.error.rawValue: "\(error)"])
        for attempt in performed {
            attempt.meter.end(.lost, failure: .transient)
            attempt.meter.record(on: connection)
            state.released(jobID: attempt.lease.jobID)
        }
    }

    /// The shared transaction died with its session because of another job of it (the one
    /// running then, which recorded its own end): the jobs that had ended cleanly in it (all
    /// their work rolled back) and those never begun go back to the queue with their attempt
    /// released (`attempts - 1`, outcome `released`), over a new session, each fenced by its
    /// lease token. A job the rescue took first (`LeaseLost`) is left as the rescue left it.
    /// When no session can be had, they are left to the rescue (their attempts then count).
    /// They stay in this worker's hands until then, so this process's rescue leaves them be.
    private func releaseAfterLostSession(
        ended: [PerformedAttempt], unbegun: [JobLease], error: any Error, on connection: PostgresConnection
    ) {
        let leases = ended.map { ($0.lease, Optional($0)) } + unbegun.map { ($0, PerformedAttempt?.none) }
        guard !leases.isEmpty else { return }
        defer { for (lease, _) in leases { state.released(jobID: lease.jobID) } }
        do {
            if !connection.isConnected {
                try connection.reconnect()
                try DaemonSession.prepare(connection, configuration: configuration, name: sessionName)
            }
        } catch {
            logger.warning(
                "the connection was lost during a shared transaction and cannot be opened again now; its \(leases.count) other jobs will be rescued",
                metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                           LogMetadataKey.error.rawValue: "\(error)"])
            return
        }
        var released = 0
        for (lease, attempt) in leases {
            do {
                try JobStateStore.release(lease, on: connection)
                released += 1
                let meter = attempt?.meter
                    ?? AttemptMeter(facts: AttemptFacts.read(lease, on: connection), jobID: lease.jobID, started: .now)
                meter.end(.released)
                meter.record(on: connection)
            } catch is LeaseLost {
                continue
            } catch {
                logger.warning(
                    "could not hand a job of a lost shared transaction back; it will be rescued",
                    metadata: [LogMetadataKey.job.rawValue: .stringConvertible(lease.jobID),
                               LogMetadataKey.error.rawValue: "\(error)"])
            }
        }
        logger.warning(
            "the connection was lost during a shared transaction because of one of its jobs; \(released) other jobs went back to the queue, no attempt used",
            metadata: [LogMetadataKey.worker.rawValue: .stringConvertible(index),
                       LogMetadataKey.error.rawValue: "\(error)"])
        JobQueue.announceRequeued(on: connection)
    }
}

/// A job of a shared transaction left it unusable (its connection was replaced, or a write
/// after its savepoint failed): the transaction is rolled back and its jobs run one by one.
struct BatchBroken: Error, CustomStringConvertible {
    var description: String { "the shared transaction was broken by one of its jobs" }
}
