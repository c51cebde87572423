public import Postgres

/// Words for a database error that say what happened, for logs and `last_error`: a value
/// that could not be read is not "the database rejected the posting", and a refused login
/// is not "unavailable".
public enum DatabaseErrorWording {
    /// What went wrong, as a phrase without the error itself: "lost the connection to the
    /// database", "the database refused a row (integrity constraint, SQLSTATE 23505)", ...
    public static func phrase(for error: PostgresError) -> String {
        switch error.kind {
        case .connectionFailed: return "cannot connect to the database"
        case .connectionLost: return "lost the connection to the database"
        case .decoding: return "could not read a value the database returned"
        case .client: return "the database client was used wrongly or answered unexpectedly"
        case .server: break
        }
        let state = error.sqlState ?? "?????"
        switch state.prefix(2) {
        case "22": return "the database refused a value (data exception, SQLSTATE \(state))"
        case "23": return "the database refused a row (integrity constraint, SQLSTATE \(state))"
        case "42":
            return state == "42501"
                ? "the login lacks a privilege (SQLSTATE 42501)"
                : "the database did not accept a statement (SQLSTATE \(state): a schema older than this program?)"
        case "53": return "the database is out of a resource (SQLSTATE \(state))"
        case "57", "08": return "the database ended the session or the statement (SQLSTATE \(state))"
        case "40": return "the transaction lost a race with another session (SQLSTATE \(state))"
        case "55": return "an object was busy or locked (SQLSTATE \(state))"
        default: return "the database reported an error (SQLSTATE \(state))"
        }
    }

    /// The `last_error` of a job that failed on `error`: what happened, that the failing
    /// chunk was rolled back whole, and the error.
    public static func jobFailure(_ error: PostgresError) -> String {
        "\(phrase(for: error)); the chunk in flight was rolled back, what earlier chunks posted stays: \(error)"
    }
}
