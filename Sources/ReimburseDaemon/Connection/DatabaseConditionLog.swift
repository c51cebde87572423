import Foundation
import Logging
import Synchronization

/// One line per retry interval for the whole daemon, however many threads meet the same
/// condition, and one line when it is over.
final class DatabaseConditionLog: Sendable {
    private struct Current {
        var condition: DatabaseCondition?
        var loggedAt: ContinuousClock.Instant?
    }

    private let current = Mutex(Current())

    /// Logs `condition` unless the same one was logged less than `interval` ago.
    func report(_ condition: DatabaseCondition, error: any Error, interval: Duration, logger: Logger) {
        let now = ContinuousClock.now
        let shouldLog = current.withLock { current -> Bool in
            if current.condition == condition, let last = current.loggedAt, now - last < interval { return false }
            current = Current(condition: condition, loggedAt: now)
            return true
        }
        guard shouldLog else { return }
        logger.warning(
            "database condition: \(condition.rawValue): \(condition.explanation); jobs stay queued, retrying",
            metadata: [
                "condition": "\(condition.rawValue)", LogMetadataKey.error.rawValue: "\(error)",
                "retry_in_ms": .stringConvertible(interval.milliseconds),
            ])
    }

    /// A fresh session passed the daemon's checks: says so once if a condition was being reported.
    func clear(logger: Logger) {
        let was = current.withLock { current -> DatabaseCondition? in
            defer { current = Current() }
            return current.condition
        }
        if let was { logger.info("database condition over (\(was.rawValue)): resuming work") }
    }

    var isActive: Bool { current.withLock { $0.condition != nil } }
}
