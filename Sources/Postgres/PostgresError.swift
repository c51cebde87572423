import CLibPQ

/// An error from PostgreSQL or from libpq, with the fields a caller needs to decide what to do:
/// retry (``isTransient``), report (``message``, ``detail``, ``hint``), or map a violated
/// constraint to a person's mistake (``constraintName``).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the failure happened, which decides whether the connection is still usable.
    public enum Kind: Sendable, Equatable {
        /// libpq could not open a connection.
        case connectionFailed
        /// The connection broke while a command ran; the command's outcome is unknown.
        case connectionLost
        /// The server rejected the command; the connection is still usable.
        case server
        /// The client was used wrongly or the server answered something unexpected.
        case client
        /// A value could not be decoded into the asked Swift type.
        case decoding
    }

    public var kind: Kind
    /// The five-character SQLSTATE code, when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The name of the violated constraint, when the server named one.
    public var constraintName: String?
    public var tableName: String?
    public var columnName: String?

    public init(
        kind: Kind,
        sqlState: String? = nil,
        message: String,
        detail: String? = nil,
        hint: String? = nil,
        constraintName: String? = nil,
        tableName: String? = nil,
        columnName: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraintName = constraintName
        self.tableName = tableName
        self.columnName = columnName
    }

    /// True when running the same work again may succeed: the connection broke, the server is
    /// shutting down or starting, or the transaction lost a serialization or deadlock race.
    /// Business errors (constraints, bad data) are never transient, so they fail at once.
    public var isTransient: Bool {
        switch kind {
        case .connectionFailed, .connectionLost:
            return true
        case .client, .decoding:
            return false
        case .server:
            guard let sqlState else { return false }
            return Self.transientStates.contains(sqlState) || sqlState.hasPrefix("08")
        }
    }

    private static let transientStates: Set<String> = [
        SQLState.serializationFailure,
        SQLState.deadlockDetected,
        SQLState.adminShutdown,
        SQLState.crashShutdown,
        SQLState.cannotConnectNow,
        SQLState.tooManyConnections,
        SQLState.idleInTransactionTimeout,
        // A lock wait that timed out: the holder will be gone on the next try.
        SQLState.lockNotAvailable,
    ]

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        return text
    }
}

/// SQLSTATE codes the project reacts to. The full list is in PostgreSQL's errcodes appendix.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let notNullViolation = "23502"
    public static let exclusionViolation = "23P01"
    public static let raiseException = "P0001"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let lockNotAvailable = "55P03"
    public static let queryCanceled = "57014"
    public static let adminShutdown = "57P01"
    public static let crashShutdown = "57P02"
    public static let cannotConnectNow = "57P03"
    public static let tooManyConnections = "53300"
    public static let idleInTransactionTimeout = "25P03"
    public static let insufficientPrivilege = "42501"
    public static let undefinedTable = "42P01"
    public static let numericValueOutOfRange = "22003"
    public static let invalidTextRepresentation = "22P02"
}

extension PostgresError {
    /// Reads every diagnostic field of a failed result.
    init(result: OpaquePointer, connection: OpaquePointer?) {
        func field(_ code: Character) -> String? {
            guard let pointer = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: pointer)
        }
        let connectionBroken = connection.map { PQstatus($0) == CONNECTION_BAD } ?? false
        let sqlState = field("C")
        var message = field("M") ?? String(cString: PQresultErrorMessage(result)).trimmedTrailingNewlines
        if message.isEmpty, let connection {
            message = String(cString: PQerrorMessage(connection)).trimmedTrailingNewlines
        }
        self.init(
            kind: connectionBroken ? .connectionLost : .server,
            sqlState: sqlState,
            message: message.isEmpty ? "unknown PostgreSQL error" : message,
            detail: field("D"),
            hint: field("H"),
            constraintName: field("n"),
            tableName: field("t"),
            columnName: field("c")
        )
    }

    /// An error that libpq reports on the connection rather than on a result.
    static func fromConnection(_ connection: OpaquePointer, fallback: String) -> PostgresError {
        let text = String(cString: PQerrorMessage(connection)).trimmedTrailingNewlines
        let broken = PQstatus(connection) == CONNECTION_BAD
        return PostgresError(kind: broken ? .connectionLost : .client, message: text.isEmpty ? fallback : text)
    }
}

extension String {
    var trimmedTrailingNewlines: String {
        var text = self
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return text
    }
}
