import Foundation
import LocalPostgres
import Postgres
import ReimburseStore

/// Turns any error that reaches the top of the program into one line and an exit code.
///
/// libpq's messages span several lines and PostgreSQL's carry detail and hints; a person
/// needs one line that says what to do, and a script needs a code that says which kind of
/// problem it was. Nothing here ever prints a Swift error dump.
struct ErrorReport: Sendable {
    let message: String
    let exitCode: ExitCodes

    init(message: String, exitCode: ExitCodes) {
        self.message = message
        self.exitCode = exitCode
    }

    init(_ error: any Error, secrets: [String] = []) {
        let (message, code) = Self.classify(error)
        self.init(message: Self.redact(Self.oneLine(message), secrets: secrets), exitCode: code)
    }

    /// Errors this program words itself; anything else is ArgumentParser's or a bug.
    static func isOurs(_ error: any Error) -> Bool {
        error is CommandFailure || error is PostgresError || error is SchemaMigrationError
            || error is LocalPostgresError
    }

    private static func classify(_ error: any Error) -> (String, ExitCodes) {
        switch error {
        case let failure as CommandFailure:
            return (failure.message, failure.exitCode)
        case let error as PostgresError:
            return classify(error)
        case let error as SchemaMigrationError:
            return (error.description, .configuration)
        case let error as LocalPostgresError:
            return ("cannot run the demo's private PostgreSQL: \(error.description)", .databaseUnavailable)
        default:
            return ("internal error: \(String(describing: error))", .internalError)
        }
    }

    private static func classify(_ error: PostgresError) -> (String, ExitCodes) {
        switch error.kind {
        case .connectionFailed:
            switch ConnectionFailureKind(error) {
            case .refusedLogin:
                return ("the database refused this login: \(error.message) (check the user, password, database name "
                        + "and pg_hba.conf)", .configuration)
            case .invalidOption:
                return ("the connection settings are not valid: \(error.message) (check DATABASE_URL, PG* variables "
                        + "and the service file)", .configuration)
            case .unreachable:
                return (error.message, .databaseUnavailable)
            }
        case .connectionLost:
            return ("lost the connection to the database: \(error.message)", .databaseUnavailable)
        case .client, .decoding:
            return ("internal error: \(error.description)", .internalError)
        case .server:
            break
        }
        let state = error.sqlState ?? ""
        let constraint = error.constraintName.map { " (constraint \($0))" } ?? ""
        let detail = error.detail.map { "; \($0)" } ?? ""
        switch state {
        case SQLState.insufficientPrivilege:
            return ("\(error.message): the login lacks a grant or company access (see sql/README.md, roles)",
                    .configuration)
        case SQLState.undefinedTable, "42703", "42883":
            return ("\(error.message): the database schema is missing or older than this program; "
                    + "run 'reimburse migrate'", .configuration)
        case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state == SQLState.tooManyConnections:
            return ("the database is unavailable: \(error.message)", .databaseUnavailable)
        case _ where state.hasPrefix("23") || state.hasPrefix("22"):
            return ("the database rejected the data: \(error.message)\(constraint)\(detail)", .badData)
        default:
            return ("database error: \(error.description)", .internalError)
        }
    }

    /// libpq ends lines with newlines and indents its hints with tabs.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// A password given in `--database-url` must not reach a terminal or a log, whatever
    /// libpq chose to quote back.
    static func redact(_ text: String, secrets: [String]) -> String {
        secrets.filter { $0.count >= 1 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}
