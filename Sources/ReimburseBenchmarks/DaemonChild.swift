import Foundation
import Logging
import ReimburseDaemon

/// `reimburse-bench daemon --database-url URL [--workers N] [--exit-when-idle] [--chunk-size N]`:
/// the daemon in a process of its own, for when `reimburse serve` is not built yet. It runs
/// exactly what `serve` runs: `ReimbursementDaemon` with a `DaemonConfiguration`.
enum DaemonChild {
    static func run(_ arguments: [String]) async -> Int32 {
        var conninfo: String?
        var workers = 2
        var exitWhenIdle = false
        var chunkSize = Int(ProcessInfo.processInfo.environment["REIMBURSE_CHUNK_SIZE"] ?? "")
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : nil
            switch argument {
            case "--database-url": conninfo = value; index += 1
            case "--workers": workers = Int(value ?? "") ?? workers; index += 1
            case "--chunk-size": chunkSize = Int(value ?? ""); index += 1
            case "--exit-when-idle": exitWhenIdle = true
            default:
                FileHandle.standardError.write(Data("reimburse-bench daemon: unknown argument \(argument)\n".utf8))
                return 64
            }
            index += 1
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        var configuration = DaemonConfiguration(conninfo: conninfo, workers: workers, exitWhenIdle: exitWhenIdle)
        if let chunkSize { configuration.chunkSize = chunkSize }
        let daemon = ReimbursementDaemon(configuration: configuration, logger: Logger(label: "reimburse"))
        // SIGTERM: a graceful stop, as under systemd.
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        let task = Task { try await daemon.run() }
        source.setEventHandler { task.cancel() }
        source.resume()
        do {
            try await task.value
            return 0
        } catch {
            FileHandle.standardError.write(Data("reimburse-bench daemon: \(error)\n".utf8))
            return 1
        }
    }
}
