import ReimburseEngine

/// Every metric family of `reimburse serve --metrics-address` (PRODUCT.md section 10), in one
/// place: the daemon records through swift-metrics with these names and labels, and the
/// exporter registers each of them at start-up with its help text and buckets, so a family
/// can never be created twice with different labels, types or help while the daemon runs.
public enum DaemonMetricFamilies {
    /// The operations this build runs (`reimbursement_job.operation`), whose series exist from
    /// start-up: add each operation here when it lands (PRODUCT.md sections 8 and 9). The
    /// `operation` label takes the job's value, bounded by the column's check; an approving
    /// job counts under the operation of the preview it approves.
    public static let operations = ["reimburse"]

    /// The job states of `reimbursement_job.state`, the values of the `state` label.
    public static let jobStates = ["queued", "running", "succeeded", "failed", "cancelled"]

    /// Job modes, the values of the `mode` label of ``customers``.
    public static let modes = ["post", "preview"]

    /// The values of the `outcome` label of ``customers``: how each selected customer was
    /// counted in the job's `result` (PRODUCT.md section 1).
    public static var customerOutcomes: [String] {
        ["reimbursed", "no_credit_balance"] + SkipReason.allCases.map(\.rawValue)
    }

    /// Histogram buckets in seconds, from 5 ms (a preview of a few customers) to an hour (a
    /// run over a million customers, or a queue held up for long).
    public static let durationBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600,
    ]

    // MARK: From the database, one grouped query per scrape

    public static let jobs = MetricFamily(
        name: "reimburse_jobs",
        help: "Jobs in reimbursement_job by company and state, read from the database at each scrape.",
        kind: .gauge, labelNames: ["company", "state"])

    public static let oldestRunnableJobAge = MetricFamily(
        name: "reimburse_oldest_runnable_job_age_seconds",
        help: "Seconds since the oldest queued job of the company became runnable (run_at); 0 when none waits.",
        kind: .gauge, labelNames: ["company"])

    public static let queueQueryUp = MetricFamily(
        name: "reimburse_queue_query_up",
        help: "1 when this scrape's database query for reimburse_jobs answered in time, else 0 (those families are then left out).",
        kind: .gauge)

    // MARK: Recorded by this daemon's workers

    public static let jobDuration = MetricFamily(
        name: "reimburse_job_duration_seconds",
        help: "Wall time of one attempt of a job in this daemon, from claim to its end, by operation and outcome.",
        kind: .histogram, labelNames: ["operation", "outcome"], buckets: durationBuckets,
        fixedLabelValues: [operations, JobAttemptOutcome.allCases.map(\.rawValue)])

    public static let jobQueueWait = MetricFamily(
        name: "reimburse_job_queue_wait_seconds",
        help: "Seconds a job was runnable (run_at passed) before this daemon claimed it, by operation and the outcome of that attempt.",
        kind: .histogram, labelNames: ["operation", "outcome"], buckets: durationBuckets,
        fixedLabelValues: [operations, JobAttemptOutcome.allCases.map(\.rawValue)])

    public static let jobAttempts = MetricFamily(
        name: "reimburse_job_attempts_total",
        help: "Jobs claimed by this daemon (each claim is one attempt, also after a retry or a wait), by operation.",
        kind: .counter, labelNames: ["operation"], fixedLabelValues: [operations])

    public static let jobFailures = MetricFamily(
        name: "reimburse_job_failures_total",
        help: "Attempts of jobs that did not end normally, by kind: job, rejected, transient, lock_timeout, database_condition, lease_lost, worker_lost, internal.",
        kind: .counter, labelNames: ["kind"], fixedLabelValues: [JobFailureKind.allCases.map(\.rawValue)])

    public static let customers = MetricFamily(
        name: "reimburse_customers_total",
        help: "Selected customers of reimburse jobs done by this daemon, by how the job's result counts them (reimbursed, a skip reason, no_credit_balance) and job mode.",
        kind: .counter, labelNames: ["outcome", "mode"], fixedLabelValues: [customerOutcomes, modes])

    public static let reimbursements = MetricFamily(
        name: "reimburse_reimbursements_total",
        help: "Reimbursements posted by this daemon (rows of the reimbursement table; previews propose and post none).",
        kind: .counter)

    public static let rescues = MetricFamily(
        name: "reimburse_rescues_total",
        help: "Running jobs whose worker died or hung that this daemon put back in the queue (or failed, attempts used up).",
        kind: .counter)

    public static let buildInfo = MetricFamily(
        name: "reimburse_build_info",
        help: "Always 1; the labels say which build of reimburse runs: version and the Swift compiler.",
        kind: .gauge, labelNames: ["version", "swift"])

    /// The families whose series this process keeps (swift-metrics), registered at start-up.
    public static let recorded: [MetricFamily] = [
        jobDuration, jobQueueWait, jobAttempts, jobFailures, customers, reimbursements, rescues,
    ]

    /// Every family `/metrics` serves.
    public static let all: [MetricFamily] = recorded + [buildInfo, jobs, oldestRunnableJobAge, queueQueryUp]
}
