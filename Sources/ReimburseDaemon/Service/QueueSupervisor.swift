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
        var wakeUps = NotificationWakeUps()
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
                    let fresh = try DaemonSession.open(configuration, name: "reimburse-listener")
                    if !state.isConnectionChecked {
                        if try PoolerProbe.isTransactionPooled(fresh, conninfo: configuration.conninfo) {
                            state.stop(because: .transactionPooler)
                            break
                        }
                        do {
                            try SchemaPresence.require(schema: configuration.schema, on: fresh)
                        } catch let missing as DaemonConnectionError {
                            state.stop(because: missing)
                            break
                        }
                        state.connectionChecked()
                    }
                    try fresh.listen(Self.channel)
                    connection = fresh
                    reconnectDelay = .milliseconds(250)
                    state.conditions.clear(logger: logger)
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
                            renewed == nil ? "lease not renewed this time: a lock could not be had" :
                                "lease not renewed: its row is locked (a shared transaction not committed yet), or the worker shows no progress and its session no activity",
                            metadata: [LogMetadataKey.job.rawValue: .stringConvertible(held.lease.jobID), "session": .stringConvertible(held.session)])
                    }
                    nextRenewal = now + renewalInterval
                }
                if now >= nextHousekeeping {
                    try housekeeping(on: connection)
                    nextHousekeeping = now + housekeepingInterval
                }
                if wakeUps.isDue {
                    if wakeUps.cancelAsked { _ = try JobQueue.cancelQueued(on: connection) }
                    wakeUps.fired()
                    state.wakeAll()
                }
                // Short waits also keep a graceful stop prompt: this thread notices it only
                // between waits.
                let wait = min(nextHousekeeping, nextRenewal, nextWatchdog, .now + Self.longestWait, wakeUps.dueAt)
                    - ContinuousClock.now
                if let notification = try connection.waitForNotification(timeout: max(wait, .milliseconds(1))) {
                    // Any login may NOTIFY this channel: a notification only says "look at the
                    // queue", whatever its payload, and a flood of them wakes the workers at most
                    // once per spacing.
                    wakeUps.arrived(notification.payload)
                    while let next = try connection.nextNotification() { wakeUps.arrived(next.payload) }
                }
            } catch {
                if let condition = DatabaseCondition(error) {
                    // A session that saw the condition keeps the settings that caused it (a
                    // role's default_transaction_read_only sticks): replace it.
                    connection = nil
                    state.conditions.report(
                        condition, error: error, interval: configuration.conditionRetryInterval, logger: logger)
                    _ = notifier.status("waiting for the database: \(condition.rawValue)")
                    let retryAt = ContinuousClock.now + configuration.conditionRetryInterval
                    while !state.isStopping && ContinuousClock.now < retryAt {
                        beatWatchdog()
                        state.waitForWork(
                            after: state.wakeGeneration, timeout: max(min(retryAt, nextWatchdog) - .now, .milliseconds(1)))
                    }
                    continue
                }
                logger.warning(
                    "listener: \(DaemonErrorText.phrase(error)); retrying",
                    metadata: [LogMetadataKey.error.rawValue: "\(error)", "retry_in_ms": .stringConvertible(reconnectDelay.milliseconds)])
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
        var rescued = false
        let state = self.state
        let events = try JobRescue.pass(on: connection, window: configuration.leaseDuration) {
            state.holds(jobID: $0.id, token: $0.token)
        }
        for event in events {
            switch event {
            case .rescued(let job):
                rescued = true
                JobMetrics.rescued()
                logger.warning(
                    "rescued a job whose worker is gone",
                    metadata: metadata(job, ["reason": job.leaseExpired || job.holderAlive ? "lease expired" : "connection lost"]))
            case .endedHungHolder(let job):
                logger.warning(
                    "lease expired while the holder's session lives on: ended that session so the job can be taken over",
                    metadata: metadata(job))
            case .couldNotEndHungHolder(let job, let error):
                logger.warning(
                    "lease expired while the holder's session lives on, and it cannot be ended from here; taking the job over anyway (the holder can no longer write to it)",
                    metadata: metadata(job, [LogMetadataKey.error.rawValue: "\(error)"]))
            case .failed(let job, let error):
                logger.error(
                    "could not rescue a job in this round; the other jobs were handled, this one is tried again",
                    metadata: metadata(job, [LogMetadataKey.error.rawValue: "\(error)"]))
            }
        }
        let cancelled = try JobQueue.cancelQueued(on: connection)
        if cancelled > 0 { logger.info("cancelled queued jobs", metadata: ["count": .stringConvertible(cancelled)]) }
        if rescued {
            JobQueue.announceRequeued(on: connection)
            state.wakeAll()
        }
        _ = notifier.status(
            "\(state.busyWorkers)/\(configuration.workers) workers busy, \(state.jobsFinished) jobs finished")
    }

    private func metadata(_ job: JobRescue.RunningJob, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            LogMetadataKey.job.rawValue: .stringConvertible(job.id), LogMetadataKey.company.rawValue: "\(job.companyID)",
            "previous_owner": "\(job.owner)",
        ]
        metadata.merge(extra) { $1 }
        return metadata
    }
}
