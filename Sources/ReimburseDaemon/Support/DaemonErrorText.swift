import Postgres
import ReimburseStore

/// What an error in the daemon's own loops (claiming, listening) means, for its log line.
enum DaemonErrorText {
    static func phrase(_ error: any Error) -> String {
        if let error = error as? PostgresError { return DatabaseErrorWording.phrase(for: error) }
        if let error = error as? DatabaseConditionError { return "database condition: \(error.condition.rawValue)" }
        return "unexpected error"
    }
}
