import Metrics

/// The daemon's counters that are not tied to one attempt on its worker thread.
enum JobMetrics {
    static func failed(_ kind: JobFailureKind) {
        Counter(label: DaemonMetricFamilies.jobFailures.name, dimensions: [("kind", kind.rawValue)]).increment()
    }

    /// A running job whose worker is gone, put back in the queue (or failed) by this daemon's
    /// rescue: one rescue, and one failed attempt of kind `worker_lost`.
    static func rescued() {
        Counter(label: DaemonMetricFamilies.rescues.name).increment()
        failed(.workerLost)
    }
}
