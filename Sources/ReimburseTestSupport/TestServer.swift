import Foundation
public import LocalPostgres
import Postgres
import ReimburseStore
import Synchronization

/// The PostgreSQL server of this test process: the one named by
/// `REIMBURSE_TEST_DATABASE_URL`, or else a private throwaway cluster started on first use and
/// destroyed when the process exits.
///
/// A test that cannot reach it fails; nothing here skips.
public final class TestServer: Sendable {
    /// The conninfo of the server's maintenance database (`postgres`).
    public let conninfo: String
    /// The cluster, when this process started its own.
    public let cluster: LocalPostgresCluster?
    private let setupThread = DedicatedThread(name: "test-server-setup")
    private let templateReady = Mutex(false)
    private let counter = Atomic<Int>(0)
    /// One template database per process, migrated once; each test copies it.
    public let templateName: String

    private init(conninfo: String, cluster: LocalPostgresCluster?) {
        self.conninfo = conninfo
        self.cluster = cluster
        self.templateName = "reimburse_template_\(getpid())"
    }

    private static let sharedState = Mutex<Result<TestServer, TestSupportError>?>(nil)
    private static let startThread = DedicatedThread(name: "test-server-start")

    /// The server, started once per process.
    public static func shared() async throws -> TestServer {
        try await startThread.run { try sharedBlocking() }
    }

    /// The blocking form of ``shared()``, for code already on a thread of its own.
    public static func sharedBlocking() throws -> TestServer {
        try sharedState.withLock { state -> Result<TestServer, TestSupportError> in
            if let state { return state }
            let result: Result<TestServer, TestSupportError>
            do {
                result = .success(try start())
            } catch {
                result = .failure(TestSupportError("cannot start the test PostgreSQL server: \(error)"))
            }
            state = result
            return result
        }.get()
    }

    private static func start() throws -> TestServer {
        if let url = ProcessInfo.processInfo.environment["REIMBURSE_TEST_DATABASE_URL"], !url.isEmpty {
            return TestServer(conninfo: url, cluster: nil)
        }
        let cluster = try LocalPostgresCluster.start(prefix: "reimburse-test")
        registerCleanup(cluster)
        return TestServer(conninfo: cluster.conninfo(), cluster: cluster)
    }

    /// Creates a fresh database with the schema migrated (or empty when `migrated` is false).
    public func makeDatabase(migrated: Bool = true) async throws -> TestDatabase {
        try await setupThread.run { [self] in try makeDatabaseBlocking(migrated: migrated) }
    }

    /// The blocking form of ``makeDatabase(migrated:)``.
    public func makeDatabaseBlocking(migrated: Bool = true) throws -> TestDatabase {
        let admin = try PostgresConnection(conninfo: conninfo, applicationName: "reimburse-tests")
        let name = "reimburse_test_\(getpid())_\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        if migrated {
            try templateReady.withLock { ready in
                guard !ready else { return }
                try admin.execute("DROP DATABASE IF EXISTS \(try admin.quoteIdentifier(templateName))")
                try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(templateName))")
                let template = try PostgresConnection(
                    conninfo: conninfo, overrides: ["dbname": templateName], applicationName: "reimburse-tests")
                try SchemaMigrator(directory: Self.sqlDirectory).migrate(template)
                ready = true
            }
            try admin.execute(
                "CREATE DATABASE \(try admin.quoteIdentifier(name)) TEMPLATE \(try admin.quoteIdentifier(templateName))")
        } else {
            try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(name))")
        }
        return TestDatabase(server: self, name: name)
    }

    /// The repository's `sql/` folder, found from this source file's location.
    public static var sqlDirectory: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql").path
    }

    /// The repository's root folder.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

/// Destroys the process's cluster at exit, however the tests ended.
private let clusterToDestroy = Mutex<LocalPostgresCluster?>(nil)

private func registerCleanup(_ cluster: LocalPostgresCluster) {
    clusterToDestroy.withLock { $0 = cluster }
    atexit {
        let cluster = clusterToDestroy.withLock { current -> LocalPostgresCluster? in
            defer { current = nil }
            return current
        }
        cluster?.destroy()
    }
}

/// A test setup failure, said plainly.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
