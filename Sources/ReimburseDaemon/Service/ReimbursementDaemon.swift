import Foundation
public import Logging
public import ServiceLifecycle

/// `reimburse serve`: claims and runs jobs of every company until stopped.
///
/// Database work happens on threads of its own (one per worker, one listener), never on the
/// cooperative pool. A graceful shutdown stops claiming, lets each worker finish the chunk in
/// flight, and hands its job back to the queue without consuming an attempt.
public final class ReimbursementDaemon: Service {
    private let configuration: DaemonConfiguration
    private let logger: Logger
    private let notifier: SystemdNotifier

    public init(configuration: DaemonConfiguration, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.configuration = configuration.normalized()
        self.logger = logger
        self.notifier = notifier
    }

    public func run() async throws {
        let state = DaemonState()
        let threads = ThreadGroup()
        let configuration = self.configuration
        let logger = self.logger
        let notifier = self.notifier
        DatabaseNoticeLog.route(to: logger)
        logger.info(
            "reimburse daemon starting",
            metadata: ["workers": .stringConvertible(configuration.workers), "instance": "\(configuration.instanceName)",
                       "exit_when_idle": .stringConvertible(configuration.exitWhenIdle)])
        let supervisor = QueueSupervisor(
            configuration: configuration, state: state, notifier: notifier, logger: logger,
            onReady: {
                _ = notifier.ready(status: "listening; \(configuration.workers) workers")
                logger.info("ready: listening for jobs")
            })
        threads.start(name: "reimburse-listener") { supervisor.run() }
        for index in 0..<configuration.workers {
            let worker = JobWorker(index: index, configuration: configuration, state: state, logger: logger)
            threads.start(name: "reimburse-worker-\(index)") { worker.run() }
        }
        let stop: @Sendable () -> Void = {
            guard !state.isStopping else { return }
            logger.info("stopping: finishing the chunks in flight")
            _ = notifier.stopping(status: "finishing the chunks in flight")
            // A chunk in flight may take a while; ask systemd for the time it needs.
            _ = notifier.extendTimeout(by: configuration.leaseDuration)
            state.requestStop()
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await threads.waitAll()
            } onGracefulShutdown: {
                stop()
            }
        } onCancel: {
            stop()
        }
        if let fatal = state.fatalError {
            throw fatal
        }
        logger.info("reimburse daemon stopped", metadata: ["jobs_finished": .stringConvertible(state.jobsFinished)])
    }
}
