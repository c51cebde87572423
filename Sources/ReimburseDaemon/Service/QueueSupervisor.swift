import Foundation
import Logging
import Postgres
import ReimburseStore

/// The daemon's housekeeping thread: listens for new jobs and wakes the workers, rescues the
/// jobs of dead workers, renews the leases of live ones, cancels queued jobs on request, and
/// tells systemd it is alive.
///
/// Its connection never holds a transaction open for long: notifications are delivered only
/// between transactions.
struct QueueSupervisor: Sendable {
    static let channel = "reimbursement_job"

    let configuration: DaemonConfiguration
    let state: DaemonState
    let notifier: SystemdNotifier
    let logger: Logger
    /// Called once, when the first connection listens: the daemon is ready.
    let onReady: @Sendable () -> Void

    func run() {
        var connection: PostgresConnection?
        var announcedReady = false
        var reconnectDelay: Duration = .milliseconds(250)
        var nextHousekeeping = ContinuousClock.now
        var nextRenewal = ContinuousClock.now
        var nextWatchdog = ContinuousClock.now
        let renewalInterval = configuration.leaseDuration / 3
        let housekeepingInterval = min(configuration.pollInterval, .seconds(1))
        while !state.isStopping {
            do {
                if connection == nil || connection?.isConnected == false {
                    let fresh = try PostgresConnection(
                        conninfo: configuration.conninfo, applicationName: "reimburse-listener")
                    try fresh.listen(Self.channel)
                    connection = fresh
                    reconnectDelay = .milliseconds(250)
                    // Notifications sent while we were away are lost: look for work now.
                    state.wakeAll()
                    if !announcedReady {
                        announcedReady = true
                        onReady()
                    } else {
                        logger.info("database connection restored")
                    }
                }
                guard let connection else { continue }
                let now = ContinuousClock.now
                if let interval = notifier.watchdogInterval, now >= nextWatchdog {
                    _ = notifier.watchdog()
                    nextWatchdog = now + interval
                }
                if now >= nextRenewal {
                    try JobQueue.renewLeases(
                        state.liveLeases(window: configuration.leaseDuration),
                        duration: configuration.leaseDuration, on: connection)
                    nextRenewal = now + renewalInterval
                }
                if now >= nextHousekeeping {
                    try housekeeping(on: connection)
                    nextHousekeeping = now + housekeepingInterval
                }
                let wait = min(nextHousekeeping, nextRenewal) - ContinuousClock.now
                if let notification = try connection.waitForNotification(timeout: max(wait, .milliseconds(1))) {
                    if notification.payload == "cancel_requested" {
                        _ = try JobQueue.cancelQueued(on: connection)
                    }
                    // Drain what else arrived, then wake the workers once.
                    while try connection.nextNotification() != nil {}
                    state.wakeAll()
                }
            } catch {
                logger.warning(
                    "listener lost the database, retrying",
                    metadata: [LogMetadataKey.error.rawValue: "\(error)", "retry_in_ms": "\(reconnectDelay.milliseconds)"])
                if connection?.isConnected == false || (error as? PostgresError)?.kind == .connectionFailed {
                    connection = nil
                }
                _ = notifier.status("waiting for the database: \(error)")
                state.waitForWork(after: state.wakeGeneration, timeout: reconnectDelay)
                reconnectDelay = min(reconnectDelay * 2, .seconds(10))
            }
        }
    }

    private func housekeeping(on connection: PostgresConnection) throws {
        let rescued = try JobQueue.rescueAbandoned(on: connection) { job in
            logger.warning(
                "lease expired while the holder's session lives on: ended that session so the job can be taken over",
                metadata: [
                    LogMetadataKey.job.rawValue: "\(job.id)", LogMetadataKey.company.rawValue: "\(job.companyID)",
                    "previous_owner": "\(job.owner)",
                ])
        }
        for job in rescued {
            logger.warning(
                "rescued a job whose worker is gone",
                metadata: [
                    LogMetadataKey.job.rawValue: "\(job.id)", LogMetadataKey.company.rawValue: "\(job.companyID)",
                    "previous_owner": "\(job.owner)", "reason": job.leaseExpired ? "lease expired" : "connection lost",
                ])
        }
        let cancelled = try JobQueue.cancelQueued(on: connection)
        if cancelled > 0 { logger.info("cancelled queued jobs", metadata: ["count": "\(cancelled)"]) }
        if !rescued.isEmpty {
            JobQueue.announceRequeued(on: connection)
            state.wakeAll()
        }
        _ = notifier.status(
            "\(state.busyWorkers)/\(configuration.workers) workers busy, \(state.jobsFinished) jobs finished")
    }
}
