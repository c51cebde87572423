import Foundation
import Postgres
import ReimburseTestSupport

/// A conninfo for the same database as another login.
func loginConninfo(_ base: String, user: String) -> String {
    if base.contains("://") {
        return base + (base.contains("?") ? "&" : "?") + "user=\(user)"
    }
    return "\(base) user=\(user)"
}

/// A role name of its own for a test (roles are cluster-wide).
func uniqueLogin(_ prefix: String) -> String {
    "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10))"
}

extension TestDatabase {
    /// Creates a LOGIN role that is a member of `group` (and sees `companies`, for the enqueue
    /// and reporting roles), returning its conninfo.
    func createLogin(_ name: String, memberOf group: String, companies: [String] = []) async throws -> String {
        try await withConnection { connection in
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(name)) LOGIN IN ROLE \(group)")
            for company in companies {
                try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, $2)", name, company)
            }
        }
        return loginConninfo(self.conninfo, user: name)
    }
}

/// A session kept open across awaits on a thread of its own, as another program's would be:
/// another login's psql, a reporting tool. Statements may block (a lock wait) without holding
/// up the test.
final class HeldSession: @unchecked Sendable {
    private let thread: DedicatedThread
    private var connection: PostgresConnection?

    init(name: String = "held-session") { thread = DedicatedThread(name: name) }

    func open(_ conninfo: String, applicationName: String = "someone-else") async throws {
        try await thread.run { [self] in
            connection = try PostgresConnection(conninfo: conninfo, applicationName: applicationName)
        }
    }

    @discardableResult
    func run(_ sql: String, _ parameters: [any PostgresEncodable & Sendable] = []) async throws -> String? {
        try await thread.run { [self] in
            let result = try connection!.execute(sql, parameters: parameters)
            return try result.first?.decode(String?.self, at: 0) ?? nil
        }
    }

    /// Starts a statement that may block for long (a lock wait); its outcome is not awaited.
    func start(_ sql: String, _ parameters: [any PostgresEncodable & Sendable] = []) {
        let thread = self.thread
        Task { try? await thread.run { [self] in _ = try connection!.execute(sql, parameters: parameters) } }
    }

    var backendPID: Int32 {
        get async throws { try await thread.run { [self] in connection!.backendPID } }
    }

    func close() async {
        _ = try? await thread.run { [self] in connection = nil }
        thread.shutdown()
    }
}
