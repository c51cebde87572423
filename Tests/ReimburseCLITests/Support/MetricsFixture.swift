import Foundation
import Postgres
import ReimburseTestSupport

/// Companies, customers and jobs for the metrics tests, and a running `reimburse serve`.
enum MetricsFixture {
    /// USMF: C-1 and C-2 with credits, C-3 with none, C-4 on hold with a credit. DEMF: D-1
    /// with a credit. FAIL: no customers (its job fails once its sequences are gone).
    static func companies(on connection: PostgresConnection) throws {
        for company in ["USMF", "DEMF", "FAIL"] { try Fixtures.company(company, on: connection) }
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, currency, on_hold)
            VALUES ('USMF', 'C-1', 'A', 'USD', false), ('USMF', 'C-2', 'B', 'USD', false),
                   ('USMF', 'C-3', 'C', 'USD', false), ('USMF', 'C-4', 'D', 'USD', true),
                   ('DEMF', 'D-1', 'E', 'USD', false)
            """)
        try connection.execute("""
            INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                              amount_accounting, ledger_account)
            VALUES ('USMF', 'C-1', 'payment', 'USD', -25.50, -25.50, '1200'),
                   ('USMF', 'C-2', 'credit_note', 'USD', -10.00, -10.00, '1200'),
                   ('USMF', 'C-4', 'payment', 'USD', -7.00, -7.00, '1200'),
                   ('DEMF', 'D-1', 'payment', 'USD', -5.00, -5.00, '1200')
            """)
    }

    /// A preview of USMF, then a posting job of USMF and one of DEMF: 3 reimbursements posted.
    static func enqueueJobs(on connection: PostgresConnection) throws {
        try connection.execute("INSERT INTO reimbursement_job (company_id, mode, priority) VALUES ('USMF', 'preview', 1)")
        try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('USMF'), ('DEMF')")
    }

    static func waitUntilNoJobIsUnfinished(_ database: TestDatabase, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let open = try await database.withConnection {
                try $0.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement_job WHERE state IN ('queued', 'running')")!
            }
            if open == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("jobs still unfinished after \(timeout)")
    }

    /// Starts `reimburse serve` on `database` and waits until it is ready.
    static func startDaemon(
        _ database: TestDatabase, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ChildProcess {
        let daemon = try Reimburse.start(
            ["serve", "--database-url", database.conninfo, "--workers", "2", "--poll-seconds", "1"] + arguments,
            environment: environment)
        guard try await daemon.waitForOutput(containing: "ready", onStandardError: true, timeout: .seconds(30)) else {
            daemon.send(SIGKILL)
            let outcome = try? await daemon.wait(timeout: .seconds(10))
            throw TestSupportError("reimburse serve did not become ready: \(outcome.map { "\($0)" } ?? daemon.standardError)")
        }
        return daemon
    }

    /// Runs `body` with a ready daemon, then stops it (SIGTERM) whatever `body` did.
    static func withDaemon(
        _ database: TestDatabase, arguments: [String] = [], environment: [String: String] = [:],
        _ body: (ChildProcess) async throws -> Void
    ) async throws {
        let daemon = try await startDaemon(database, arguments: arguments, environment: environment)
        do {
            try await body(daemon)
        } catch {
            daemon.send(SIGKILL)
            _ = try? await daemon.wait(timeout: .seconds(10))
            throw error
        }
        daemon.send(SIGTERM)
        let outcome = try await daemon.wait(timeout: .seconds(30))
        if outcome.exitCode != 0 { throw TestSupportError("reimburse serve did not stop cleanly: \(outcome)") }
    }
}
