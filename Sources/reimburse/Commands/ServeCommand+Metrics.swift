import Foundation
import Logging
import ReimburseDaemon
import ReimburseMetrics
import ServiceLifecycle

extension ServeCommand {
    /// `--metrics-address`, else `REIMBURSE_METRICS_ADDRESS`; nil (or empty) serves no metrics.
    var configuredMetricsAddress: String? {
        if let metricsAddress { return metricsAddress }
        let fromEnvironment = ProcessInfo.processInfo.environment["REIMBURSE_METRICS_ADDRESS"]
        return fromEnvironment?.isEmpty == false ? fromEnvironment : nil
    }

    /// When an address is configured: registers every metric family, makes swift-metrics
    /// record into them, and listens, before the daemon starts. A bad or busy address is a
    /// configuration error (exit 78): the unit file or its environment file has to change.
    func startMetrics(
        _ configuration: DaemonConfiguration, logger: Logger
    ) async throws -> ServiceGroupConfiguration.ServiceConfiguration? {
        guard let text = configuredMetricsAddress else { return nil }
        let address: MetricsAddress
        do {
            address = try MetricsAddress(parsing: text)
        } catch {
            throw CommandFailure(error.description, exitCode: .configuration)
        }
        let exporter = MetricsExporter()
        exporter.bootstrap()
        let server: MetricsServer
        do {
            server = try MetricsServer(
                address: address, exporter: exporter, conninfo: configuration.conninfo, schema: configuration.schema,
                logger: logger)
            try await server.start()
        } catch {
            throw CommandFailure("\(error)", exitCode: .configuration)
        }
        return ServiceGroupConfiguration.ServiceConfiguration(service: server, serviceName: "reimburse-metrics")
    }
}
