import Foundation
public import Postgres

/// A database of its own for one test, copied from the migrated template.
public final class TestDatabase: Sendable {
    public let server: TestServer
    public let name: String
    private let thread: PostgresConnectionThread

    init(server: TestServer, name: String) {
        self.server = server
        self.name = name
        self.thread = PostgresConnectionThread(
            conninfo: server.conninfo, overrides: ["dbname": name], applicationName: "reimburse-tests",
            name: "test-\(name)")
    }

    /// A conninfo for this database, for code under test that opens its own connections
    /// (the store, the daemon, the command line).
    public var conninfo: String {
        if server.conninfo.contains("://") {
            var components = URLComponents(string: server.conninfo)
            components?.path = "/\(name)"
            return components?.string ?? server.conninfo
        }
        return "\(server.conninfo) dbname=\(name)"
    }

    /// Opens a new connection, owned by the calling thread.
    public func connect(applicationName: String = "reimburse-tests") throws -> PostgresConnection {
        try PostgresConnection(conninfo: server.conninfo, overrides: ["dbname": name], applicationName: applicationName)
    }

    /// Runs `body` with this test's shared connection, on a thread of its own.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await thread.withConnection(body)
    }

    /// Runs `body` on a new connection on a new thread: for tests that need two sessions at once.
    @discardableResult
    public func withNewConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let dedicated = DedicatedThread(name: "test-\(name)-extra")
        defer { dedicated.shutdown() }
        let server = self.server
        let name = self.name
        return try await dedicated.run {
            let connection = try PostgresConnection(
                conninfo: server.conninfo, overrides: ["dbname": name], applicationName: "reimburse-tests")
            return try body(connection)
        }
    }
}

extension TestServer {
    /// A migrated database for a test; the usual entry point.
    public static func database(migrated: Bool = true) async throws -> TestDatabase {
        try await shared().makeDatabase(migrated: migrated)
    }
}
