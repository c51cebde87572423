/// The process exit codes, one per kind of outcome, so that scripts and systemd can tell a
/// person's mistake from an unreachable database from a bug without reading the message.
///
/// Values above 63 follow BSD `sysexits.h`, which service managers and shells already know.
enum ExitCodes: Int32, CaseIterable, Sendable {
    case success = 0
    case jobFailed = 1
    case jobCancelled = 2
    case usage = 64
    case badData = 65
    case databaseUnavailable = 69
    case internalError = 70
    /// `enqueue --wait --timeout` ran out before the job finished.
    case stillRunning = 75
    case configuration = 78
    /// `enqueue --wait` stopped following (Ctrl-C: 130, the shell's code for SIGINT).
    case followInterrupted = 130

    var meaning: String {
        switch self {
        case .success: return "done (--wait: the job succeeded; verify: all checks passed)"
        case .jobFailed: return "--wait: the job failed (last_error printed); verify: violations"
        case .jobCancelled: return "--wait: the job was cancelled"
        case .stillRunning: return "--wait --timeout ran out: the job is still queued or running"
        case .followInterrupted: return "--wait interrupted (Ctrl-C): the job is still queued or running"
        case .usage: return "bad flag, option or argument, a malformed --database-url, no subcommand"
        case .badData: return "bad data: unknown company or job, bad date, a rejected value"
        case .databaseUnavailable: return "database unreachable (or the demo's server cannot start)"
        case .internalError: return "internal error (a bug: please report it)"
        case .configuration: return "configuration: login refused (password, role, database), no schema, missing grant, edited migration"
        }
    }

    /// The table printed in the root command's `--help`.
    static var helpTable: String {
        allCases.map { code in
            let number = String(code.rawValue)
            return "  " + String(repeating: " ", count: 3 - number.count) + number + "  " + code.meaning
        }.joined(separator: "\n")
    }
}
