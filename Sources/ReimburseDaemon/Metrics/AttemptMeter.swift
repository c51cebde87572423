import Metrics
import Postgres
import ReimburseEngine

/// The metrics of one attempt of a job, recorded once when it ends: its duration and queue
/// wait (by operation and outcome), its failure kind, and what it did to customers (the
/// difference between the job's tally at its end and at its start, so a resumed job's earlier
/// chunks are not counted twice).
///
/// Goes through swift-metrics: without a backend (`--metrics-address` not given) every call
/// is a no-op. Lives on the worker's thread, like the connection it reads from.
final class AttemptMeter {
    private let facts: AttemptFacts
    private let jobID: Int64
    private let started: ContinuousClock.Instant
    private var outcome: JobAttemptOutcome = .lost
    private var failure: JobFailureKind?
    private var tallyAfter: JobTally?

    init(facts: AttemptFacts, jobID: Int64, started: ContinuousClock.Instant) {
        self.facts = facts
        self.jobID = jobID
        self.started = started
        Counter(label: DaemonMetricFamilies.jobAttempts.name, dimensions: [("operation", facts.operation)]).increment()
    }

    /// How the attempt ended; `tally` when the runner returned it, else it is read back from
    /// the job's saved result (what the chunks committed before a failure).
    func end(_ outcome: JobAttemptOutcome, failure: JobFailureKind? = nil, tally: JobTally? = nil) {
        self.outcome = outcome
        self.failure = failure
        self.tallyAfter = tally
    }

    /// Records everything, on the worker's connection; call once, after the job's state was
    /// written.
    func record(on connection: PostgresConnection) {
        let labels = [("operation", facts.operation), ("outcome", outcome.rawValue)]
        Timer(label: DaemonMetricFamilies.jobDuration.name, dimensions: labels)
            .recordNanoseconds(Self.nanoseconds(ContinuousClock.now - started))
        Timer(label: DaemonMetricFamilies.jobQueueWait.name, dimensions: labels)
            .recordNanoseconds(Int64(min(max(0, facts.queueWaitSeconds), 9e9) * 1e9))
        if let failure {
            JobMetrics.failed(failure)
        }
        // A job taken over is another daemon's to count; its saved result is theirs too.
        guard outcome != .lost, facts.operation == "reimburse", let before = facts.tallyBefore else { return }
        let after = tallyAfter ?? (connection.isConnected ? AttemptFacts.storedTally(jobID: jobID, on: connection) : nil)
        guard let after else { return }
        countCustomers(from: before, to: after)
    }

    private func countCustomers(from before: JobTally, to after: JobTally) {
        let mode = facts.mode
        func add(_ outcome: String, _ count: Int) {
            guard count > 0 else { return }
            Counter(label: DaemonMetricFamilies.customers.name, dimensions: [("outcome", outcome), ("mode", mode)])
                .increment(by: count)
        }
        add("reimbursed", after.reimbursedCustomers - before.reimbursedCustomers)
        add("no_credit_balance", after.noCreditBalance - before.noCreditBalance)
        let skippedBefore = before.skipped
        for (reason, count) in after.skipped {
            add(reason.rawValue, count - (skippedBefore[reason] ?? 0))
        }
        if mode == "post" {
            let posted = after.reimbursements - before.reimbursements
            if posted > 0 { Counter(label: DaemonMetricFamilies.reimbursements.name).increment(by: posted) }
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
