import Foundation

/// A connection that lives on its own thread, for async callers.
///
/// The connection is created on the thread, used only there and never leaves it, so the
/// compiler's `Sendable` checking holds without `@unchecked`. A broken connection is replaced
/// by a fresh one before the next piece of work.
public final class PostgresConnectionThread: Sendable {
    private let thread: DedicatedThread
    private let conninfo: String?
    private let overrides: [String: String]
    private let applicationName: String
    private let box = ConnectionBox()

    public init(
        conninfo: String?, overrides: [String: String] = [:], applicationName: String = "reimburse",
        name: String = "postgres"
    ) {
        self.thread = DedicatedThread(name: name)
        self.conninfo = conninfo
        self.overrides = overrides
        self.applicationName = applicationName
    }

    /// Runs `body` with this thread's connection, connecting (or reconnecting) first when needed.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let conninfo = self.conninfo
        let overrides = self.overrides
        let applicationName = self.applicationName
        let box = self.box
        return try await thread.run {
            let connection = try box.connection(
                conninfo: conninfo, overrides: overrides, applicationName: applicationName)
            return try body(connection)
        }
    }

    /// Closes the connection and stops the thread.
    public func close() async {
        let box = self.box
        _ = try? await thread.run { box.close() }
        thread.shutdown()
    }
}

/// Keeps the connection in the owning thread's own storage, where no other thread can reach it.
struct ConnectionBox: Sendable {
    private let key = "reimburse.postgres.connection"

    func connection(conninfo: String?, overrides: [String: String], applicationName: String) throws -> PostgresConnection {
        let storage = Thread.current.threadDictionary
        if let existing = storage[key] as? PostgresConnection, existing.isConnected { return existing }
        storage[key] = nil
        let fresh = try PostgresConnection(conninfo: conninfo, overrides: overrides, applicationName: applicationName)
        storage[key] = fresh
        return fresh
    }

    func close() { Thread.current.threadDictionary[key] = nil }
}
