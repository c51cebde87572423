import CoreMetrics
import Prometheus
import ReimburseDaemon

/// The registry behind `/metrics`: every family of ``DaemonMetricFamilies`` registered at
/// start-up, and swift-metrics bootstrapped to record into it.
///
/// Registering each fixed combination of labels first means the registry's consistency
/// checks (one type, one help text, one set of buckets per family) run once, when the daemon
/// starts, rather than on some rare path hours later; and every series exists at 0 from the
/// first scrape, so `increase()` sees the first event.
public final class MetricsExporter: Sendable {
    let registry: PrometheusCollectorRegistry

    /// A registry with every family registered; nothing is bootstrapped yet.
    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = ReimburseMetricsFactory(registry: registry)
        for family in DaemonMetricFamilies.recorded {
            for labels in family.fixedLabelSets {
                switch family.kind {
                case .counter:
                    _ = factory.makeCounter(label: family.name, dimensions: labels)
                case .histogram:
                    _ = factory.makeTimer(label: family.name, dimensions: labels)
                case .gauge:
                    _ = factory.makeMeter(label: family.name, dimensions: labels)
                }
            }
        }
        let info = DaemonMetricFamilies.buildInfo
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: info.name, unitName: "", helpText: info.help),
            labels: [("version", BuildInfo.version), ("swift", BuildInfo.swift)]
        ).set(Double(1))
        self.registry = registry
    }

    /// Makes swift-metrics record into this registry. Once per process (swift-metrics allows
    /// one bootstrap); `reimburse serve` calls it before the daemon starts.
    public func bootstrap() {
        MetricsSystem.bootstrap(ReimburseMetricsFactory(registry: registry))
    }

    /// The recorded families in Prometheus text format.
    func renderRecorded() -> [UInt8] {
        registry.emitToBuffer()
    }
}
