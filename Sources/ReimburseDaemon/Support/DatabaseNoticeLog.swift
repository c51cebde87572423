public import Logging
import Postgres

/// Routes the notices and warnings PostgreSQL sends on any connection of the process (which
/// libpq would print to standard error as raw `NOTICE:` or `WARNING:` lines) into `logger`,
/// so that every line the daemon writes is a log line of its format.
///
/// Levels: `WARNING` is `warning`; `ERROR`, `FATAL` and `PANIC` (a session the server ends
/// while it is idle) are `error`; `NOTICE` and `INFO` are `info`; `LOG` and `DEBUG` are `debug`.
/// Each line is `msg="database NOTICE: ..."` with `severity`, `sqlstate`, and `detail` and
/// `hint` when the server sent them.
public enum DatabaseNoticeLog {
    public static func route(to logger: Logger) {
        PostgresNotice.setHandler { notice in
            var metadata: Logger.Metadata = ["severity": .string(notice.severity)]
            if let state = notice.sqlState { metadata[LogMetadataKey.sqlstate.rawValue] = .string(state) }
            if let detail = notice.detail { metadata["detail"] = .string(detail) }
            if let hint = notice.hint { metadata["hint"] = .string(hint) }
            logger.log(level: level(notice.severity), "database \(notice.severity): \(notice.message)", metadata: metadata)
        }
    }

    static func level(_ severity: String) -> Logger.Level {
        switch severity {
        case "WARNING": .warning
        case "ERROR", "FATAL", "PANIC": .error
        case "NOTICE", "INFO": .info
        default: .debug
        }
    }
}
