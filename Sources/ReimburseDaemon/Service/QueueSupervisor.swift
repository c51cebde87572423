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
    /// The longest this thread blocks in one wait for a notification.
    static let longestWait: Duration = .milliseconds(250)

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
        // The watchdog beats whatever the database does: the process is alive and waiting for
        // it, which the unit treats as the daemon's own business, not a reason to be killed.
        func beatWatchdog() {
            guard let interval = notifier.watchdogInterval else {
                nextWatchdog = .now + .seconds(3600)
                return
            }
            let now = ContinuousClock.now
            guard now >= nextWatchdog else { return }
            _ = notifier.watchdog()
            nextWatchdog = now + interval
        }
        while !state.isStopping {
            beatWatchdog()
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
                if now >= nextRenewal {
                    let leases = state.liveLeases(window: configuration.leaseDuration)
                    let renewed = try JobQueue.renewLeases(
                        leases, window: configuration.leaseDuration, duration: configuration.leaseDuration, on: connection)
                    for held in leases where renewed?.contains(held.lease.jobID) != true {
                        logger.debug(
                            renewed == nil ? "lease not renewed this time: the job row is locked" :
                                "lease not renewed: the worker shows no progress and its session no activity",
                            metadata: [LogMetadataKey.job.rawValue: "\(held.lease.jobID)", "session": "\(held.session)"])
                    }
                    nextRenewal = now + renewalInterval
                }
                if now >= nextHousekeeping {
                    try housekeeping(on: connection)
                    nextHousekeeping = now + housekeepingInterval
                }
                // Short waits also keep a graceful stop prompt: this thread notices it only
                // between waits.
                let wait = min(nextHousekeeping, nextRenewal, nextWatchdog, .now + Self.longestWait) - ContinuousClock.now
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
                let retryAt = ContinuousClock.now + reconnectDelay
                while !state.isStopping && ContinuousClock.now < retryAt {
                    beatWatchdog()
                    state.waitForWork(
                        after: state.wakeGeneration, timeout: max(min(retryAt, nextWatchdog) - .now, .milliseconds(1)))
                }
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
