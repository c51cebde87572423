import CoreMetrics
import Prometheus
import ReimburseDaemon

/// swift-metrics' backend for the daemon: hands each metric to the Prometheus registry with
/// the help text and buckets of its family in ``DaemonMetricFamilies``.
///
/// swift-prometheus' own factory registers every metric with an empty help text, and its
/// registry refuses (fatally) a family registered again with another help text; going
/// through the catalog keeps each family's help identical however it is created. A label
/// that is not in the catalog gets no help and the default buckets.
struct ReimburseMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let families: [String: MetricFamily]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.families = Dictionary(uniqueKeysWithValues: DaemonMetricFamilies.all.map { ($0.name, $0) })
    }

    /// The whole name as `metricName` (an empty unit adds nothing) and the catalog's help.
    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: families[label]?.help ?? "")
    }

    static func durations(_ seconds: [Double]) -> [Duration] {
        seconds.map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    private func buckets(_ label: String) -> [Double] {
        families[label]?.buckets.nilIfEmpty ?? DaemonMetricFamilies.durationBuckets
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: Self.durations(buckets(label)))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

extension Array {
    fileprivate var nilIfEmpty: Self? { isEmpty ? nil : self }
}
