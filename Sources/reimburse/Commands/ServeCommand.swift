import ArgumentParser
import Foundation
import Logging
import Postgres
import ReimburseDaemon
import ServiceLifecycle

/// `reimburse serve`: the daemon, as systemd runs it.
struct ServeCommand: AsyncParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: claim and run jobs of every company until stopped.",
        discussion: """
            Listens for new jobs (NOTIFY) and polls as a backstop; runs up to --workers jobs \
            at once, each of a different company. SIGTERM or SIGINT stop it gracefully: no new \
            claims, the chunks in flight finish, unfinished jobs go back to the queue.

            Examples:
              reimburse serve --workers 4
              reimburse serve --exit-when-idle       # from cron or a test: stop when done
              REIMBURSE_WORKERS=8 LOG_LEVEL=debug reimburse serve
              reimburse serve --metrics-address 127.0.0.1:9715   # Prometheus scrapes /metrics
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Jobs run at once (else $REIMBURSE_WORKERS, default 2).", valueName: "n"))
    var workers: Int?

    @Flag(help: "Return once no job is runnable and none is running.")
    var exitWhenIdle = false

    @Option(help: ArgumentHelp("Customers per transaction (else $REIMBURSE_CHUNK_SIZE, default 500).", valueName: "n"))
    var chunkSize: Int?

    @Option(help: ArgumentHelp(
        "Seconds a claimed job stays ours without a heartbeat; a hung worker's job is taken over after it "
            + "(else $REIMBURSE_LEASE_SECONDS, default 30).", valueName: "seconds"))
    var leaseSeconds: Int?

    @Option(help: ArgumentHelp(
        "Seconds between backstop polls when no notification arrives (else $REIMBURSE_POLL_SECONDS, default 2).",
        valueName: "seconds"))
    var pollSeconds: Int?

    @Option(help: ArgumentHelp(
        "Schema holding Reimburse's tables; the daemon's sessions search only it (and pg_catalog), whatever "
            + "search_path the login has (else $REIMBURSE_SCHEMA, default public).", valueName: "name"))
    var schema: String?

    @Option(help: ArgumentHelp(
        "Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9715 or [::1]:9715 "
            + "(else $REIMBURSE_METRICS_ADDRESS; default: no metrics endpoint).", valueName: "host:port"))
    var metricsAddress: String?

    func validate() throws {
        if let leaseSeconds, !(2...3600).contains(leaseSeconds) {
            throw ValidationError("--lease-seconds must be between 2 and 3600")
        }
        if let pollSeconds, !(1...3600).contains(pollSeconds) {
            throw ValidationError("--poll-seconds must be between 1 and 3600")
        }
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256")
        }
        if let chunkSize, !(1...100_000).contains(chunkSize) {
            throw ValidationError("--chunk-size must be between 1 and 100000")
        }
    }

    /// A flag wins over the environment; a bad environment value is a configuration error
    /// (exit 78), since the unit file or container definition has to change.
    static func setting(_ flag: Int?, environment name: String, range: ClosedRange<Int>) throws -> Int? {
        if let flag { return flag }
        guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw CommandFailure(
                "\(name) '\(text)' is not a number between \(range.lowerBound) and \(range.upperBound)",
                exitCode: .configuration)
        }
        return value
    }

    /// A daemon outlives database restarts, so an unreachable database is only a warning
    /// (the workers retry); with --exit-when-idle it is the caller's error and ends the run
    /// at once with exit 69. A refused login or a missing schema ends it with 78 either way.
    private func probeDatabase(_ configuration: DaemonConfiguration, logger: Logger) async throws {
        let probe = DedicatedThread(name: "reimburse-serve-probe")
        defer { probe.shutdown() }
        let conninfo = configuration.conninfo
        do {
            let schema = configuration.schema
            try await probe.run { try DaemonConnectionCheck.requireSessionPerConnection(conninfo: conninfo, schema: schema) }
        } catch let error as DaemonConnectionError {
            // A transaction pooler in front: refused before the daemon starts, in one line.
            throw CommandFailure(error.description, exitCode: .configuration)
        } catch {
            let report = ErrorReport(error, secrets: global.secrets)
            // A refused login or a bad setting will not pass by waiting: exit 78 at once.
            if configuration.exitWhenIdle || report.exitCode != .databaseUnavailable { throw error }
            logger.warning("cannot reach the database at start; the workers keep retrying", metadata: ["error": "\(report.message)"])
        }
    }

    func run() async throws {
        let logger = try global.makeLogger(label: "reimburse.daemon")
        var configuration = DaemonConfiguration(
            conninfo: global.conninfo,
            workers: try Self.setting(workers, environment: "REIMBURSE_WORKERS", range: 1...256) ?? 2,
            exitWhenIdle: exitWhenIdle)
        if let chunk = try Self.setting(chunkSize, environment: "REIMBURSE_CHUNK_SIZE", range: 1...100_000) {
            configuration.chunkSize = chunk
        }
        if let lease = try Self.setting(leaseSeconds, environment: "REIMBURSE_LEASE_SECONDS", range: 2...3600) {
            configuration.leaseDuration = .seconds(lease)
        }
        if let poll = try Self.setting(pollSeconds, environment: "REIMBURSE_POLL_SECONDS", range: 1...3600) {
            configuration.pollInterval = .seconds(poll)
        }
        if let schema = schema ?? ProcessInfo.processInfo.environment["REIMBURSE_SCHEMA"], !schema.isEmpty {
            configuration.schema = schema
        }
        let metrics = try await startMetrics(configuration, logger: logger)
        try await probeDatabase(configuration, logger: logger)
        let daemon = ReimbursementDaemon(configuration: configuration, logger: logger)
        // Returning is the daemon's normal end with --exit-when-idle, not a failure of the group.
        let service = ServiceGroupConfiguration.ServiceConfiguration(
            service: daemon, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "reimburse-daemon")
        // The metrics server first: services stop in reverse order, so it answers while the daemon drains.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: (metrics.map { [$0] } ?? []) + [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as DaemonConnectionError {
            // A transaction pooler in front: the daemon did not start; one line, no retry.
            throw CommandFailure(error.description, exitCode: .configuration)
        }
    }
}
