/// Isolation levels, spelled as PostgreSQL spells them.
public enum PostgresIsolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws, so a
    /// half-done unit of work never becomes visible.
    public func transaction<T>(
        isolation: PostgresIsolation = .readCommitted,
        readOnly: Bool = false,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        precondition(!isInTransaction, "transaction() inside a transaction: use savepoint()")
        try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    /// Runs `body` in the transaction already open on this connection (several jobs sharing one
    /// commit, each in a savepoint of its own), else in a transaction of its own as
    /// ``transaction(isolation:readOnly:_:)`` does. Inside an open transaction a failure is left
    /// to the caller's savepoint or rollback.
    public func transactionOrCurrent<T>(readOnly: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        if isInTransaction { return try body(self) }
        return try transaction(readOnly: readOnly, body)
    }

    /// Runs `body` inside a savepoint of the current transaction: a failure undoes only the
    /// savepoint's work and leaves the transaction usable.
    public func savepoint<T>(_ name: String = "reimburse_savepoint", _ body: (PostgresConnection) throws -> T) throws -> T {
        precondition(isInTransaction, "savepoint() outside a transaction")
        let quoted = try quoteIdentifier(name)
        try execute("SAVEPOINT \(quoted)")
        do {
            let value = try body(self)
            try execute("RELEASE SAVEPOINT \(quoted)")
            return value
        } catch {
            if isConnected { _ = try? execute("ROLLBACK TO SAVEPOINT \(quoted)") }
            throw error
        }
    }

    /// A rollback whose own failure (a lost connection, say) must not hide the original error.
    func rollbackQuietly() {
        guard isConnected else { return }
        _ = try? execute("ROLLBACK")
    }
}
