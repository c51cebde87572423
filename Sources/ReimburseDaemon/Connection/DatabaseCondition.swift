import Postgres

/// A state of the database, not of any job, in which the daemon cannot do its work: it waits,
/// says so, and reconnects; no job fails or loses an attempt because of it.
enum DatabaseCondition: String, Sendable, Equatable {
    /// `transaction_read_only` is on: `default_transaction_read_only` set for the login, the
    /// database or the server (a demoted primary, a maintenance fence); SQLSTATE 25006.
    case readOnly = "read-only"
    /// A hot standby (`pg_is_in_recovery()`): it takes no writes until promoted.
    case inRecovery = "in recovery"
    /// The login, the database or the server is at its connection limit (SQLSTATE 53300).
    case connectionLimit = "connection limit"
    /// Starting up, shutting down or recovering without hot standby (SQLSTATE 57P03).
    case notAcceptingConnections = "not accepting connections"

    /// Recognises the condition in an error of a statement or of a connection attempt (whose
    /// SQLSTATE libpq does not pass on, hence the server's words).
    init?(_ error: any Error) {
        if let error = error as? DatabaseConditionError {
            self = error.condition
            return
        }
        guard let error = error as? PostgresError else { return nil }
        switch error.sqlState {
        case "25006": self = .readOnly
        case SQLState.tooManyConnections: self = .connectionLimit
        case SQLState.cannotConnectNow: self = .notAcceptingConnections
        default:
            guard error.kind == .connectionFailed else { return nil }
            let message = error.message
            if message.contains("too many connections") || message.contains("too many clients")
                || message.contains("connection slots are reserved")
            {
                self = .connectionLimit
            } else if message.contains("the database system is starting up")
                || message.contains("the database system is shutting down")
                || message.contains("the database system is in recovery mode")
                || message.contains("the database system is not yet accepting connections")
                || message.contains("the database system is not accepting connections")
            {
                self = .notAcceptingConnections
            } else {
                return nil
            }
        }
    }

    /// What the operator reads in the log.
    var explanation: String {
        switch self {
        case .readOnly:
            "the database is read-only for this login (transaction_read_only is on: default_transaction_read_only "
                + "is set for the login, the database or the server, or this is a demoted primary)"
        case .inRecovery:
            "the server is a hot standby in recovery (pg_is_in_recovery()): point serve at the primary "
                + "(target_session_attrs=read-write) or promote this server"
        case .connectionLimit:
            "the login, the database or the server is at its connection limit (CONNECTION LIMIT, max_connections)"
        case .notAcceptingConnections:
            "the server is starting up, shutting down or recovering and accepts no connections yet"
        }
    }
}

/// A condition found by the daemon's own check of a fresh session.
struct DatabaseConditionError: Error, CustomStringConvertible, Sendable {
    let condition: DatabaseCondition
    var description: String { condition.explanation }
}
