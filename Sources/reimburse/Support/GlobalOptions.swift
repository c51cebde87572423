import ArgumentParser
import Foundation
import Logging
import Postgres
import ReimburseDaemon

/// Options every subcommand takes, each with the environment variable that a service unit or
/// a container sets instead.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A libpq URI or conninfo string (else $DATABASE_URL, else libpq's defaults: PGHOST, PGDATABASE, ...; "
                + "the demo uses only this option, never the environment).",
            valueName: "url"))
    var databaseURL: String?

    @Option(
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical (else $LOG_LEVEL, default info).",
            valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("logfmt or json (else $REIMBURSE_LOG_FORMAT, default logfmt).", valueName: "format"))
    var logFormat: LogFormatOption?

    func validate() throws {
        if let databaseURL, let problem = PostgresConnection.conninfoProblem(databaseURL) {
            throw ValidationError(ErrorReport.redact(
                "--database-url is not a libpq URI or key=value string: \(problem)",
                secrets: ConninfoSecrets.passwords(in: databaseURL)))
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level '\(logLevel)' is not one of \(Self.levelNames)")
        }
    }

    private static var levelNames: String {
        Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
    }

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `--database-url`, else `DATABASE_URL`; nil lets libpq apply its own defaults.
    var conninfo: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let fromEnvironment = Self.environment["DATABASE_URL"], !fromEnvironment.isEmpty { return fromEnvironment }
        return nil
    }

    /// `--database-url` as given on the command line, ignoring the environment: the demo uses
    /// a database only when a person named it there.
    var commandLineDatabaseURL: String? { databaseURL }

    /// Passwords to hide from every message.
    var secrets: [String] { ConninfoSecrets.passwords(in: conninfo) }

    /// Opens a connection named after the subcommand, so that `pg_stat_activity` shows who is
    /// connected.
    ///
    /// A value libpq refuses in `--database-url` (`port=zz`, `sslmode=bogus`) is a usage error
    /// (exit 64), like a string that does not parse; the same in the environment is a
    /// configuration error (exit 78).
    func connect(as subcommand: String) throws -> PostgresConnection {
        do {
            return try PostgresConnection(conninfo: conninfo, applicationName: "reimburse \(subcommand)")
        } catch let error as PostgresError
            where databaseURL?.isEmpty == false && error.kind == .connectionFailed
            && ConnectionFailureKind(error) == .invalidOption
        {
            throw CommandFailure(
                "--database-url is not a valid connection string: \(error.message)", exitCode: .usage)
        }
    }

    /// The level from the flag, else `LOG_LEVEL`, else `fallback`. A bad environment value is
    /// a configuration error rather than a silent default.
    func resolvedLogLevel(fallback: Logger.Level = .info) throws -> Logger.Level {
        if let logLevel, let level = Logger.Level(rawValue: logLevel) { return level }
        guard let configured = Self.environment["LOG_LEVEL"], !configured.isEmpty else { return fallback }
        guard let level = Logger.Level(rawValue: configured.lowercased()) else {
            throw CommandFailure(
                "LOG_LEVEL '\(configured)' is not one of \(Self.levelNames)", exitCode: .configuration)
        }
        return level
    }

    func resolvedLogFormat() throws -> LogFormatOption {
        if let logFormat { return logFormat }
        guard let configured = Self.environment["REIMBURSE_LOG_FORMAT"], !configured.isEmpty else { return .logfmt }
        guard let format = LogFormatOption(rawValue: configured.lowercased()) else {
            throw CommandFailure(
                "REIMBURSE_LOG_FORMAT '\(configured)' is not logfmt or json", exitCode: .configuration)
        }
        return format
    }

    /// Sets up swift-log once for the process and returns a logger for `label`.
    func makeLogger(label: String, fallbackLevel: Logger.Level = .info) throws -> Logger {
        let level = try resolvedLogLevel(fallback: fallbackLevel)
        let format = try resolvedLogFormat()
        StderrLogHandler.bootstrap(format: format == .json ? .json : .logfmt, level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        DatabaseNoticeLog.route(to: logger)
        return logger
    }
}
