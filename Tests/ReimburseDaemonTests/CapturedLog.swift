import Foundation
import Logging
import ReimburseDaemon
import Synchronization

/// A logger whose lines a test reads back: level, message and metadata, as the daemon wrote them.
final class CapturedLog: Sendable {
    struct Line: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var description: String {
            "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    private let lines = Mutex<[Line]>([])

    var logger: Logger {
        var logger = Logger(label: "captured") { _ in Handler(log: self) }
        logger.logLevel = .info
        return logger
    }

    var all: [Line] { lines.withLock { $0 } }

    func matching(_ text: String) -> [Line] { all.filter { $0.description.contains(text) } }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
            file: String, function: String, line: UInt
        ) {
            var merged = self.metadata
            merged.merge(metadata ?? [:]) { $1 }
            log.append(Line(level: level, message: "\(message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

extension Daemon {
    /// Starts a daemon whose log the test reads.
    static func start(_ configuration: DaemonConfiguration, log: CapturedLog) -> DaemonRun {
        let daemon = ReimbursementDaemon(
            configuration: configuration, logger: log.logger, notifier: SystemdNotifier(environment: [:]))
        return DaemonRun(task: Task { try await daemon.run() })
    }
}
