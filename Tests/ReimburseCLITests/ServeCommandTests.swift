import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse serve")
struct ServeCommandTests {
    @Test func runsQueuedJobsAndExitsWhenIdle() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            try connection.execute("INSERT INTO customer (company_id, account, name, currency) VALUES ('USMF', 'C-1', 'A', 'USD')")
            try connection.execute("""
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('USMF', 'C-1', 'payment', 'USD', -25.50, -25.50, '1200')
                """)
            return try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('USMF') RETURNING id")!
        }
        let outcome = try await Reimburse.run(
            "serve", "--exit-when-idle", "--workers", "1", "--chunk-size", "10", "--log-format", "json",
            "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardError.contains("\"msg\":\"job succeeded\""), "\(outcome)")
        let state = try await database.withConnection {
            try $0.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", job)
        }
        #expect(state == "succeeded")
        let report = try await Reimburse.run("report", "--format", "csv", "--database-url", database.conninfo)
        #expect(report.standardOutput.contains(",USD,25.50,25.50,"), "\(report)")
    }

    @Test func stopsGracefullyOnSIGTERM() async throws {
        let database = try await TestServer.database()
        let child = try Reimburse.start(["serve", "--database-url", database.conninfo, "--log-level", "info"])
        // Ready means listening, and the service group's signal handlers are installed by then.
        let ready = try await child.waitForOutput(containing: "ready", onStandardError: true, timeout: .seconds(30))
        #expect(ready, "\(child.standardError)")
        try await Task.sleep(for: .milliseconds(100))
        child.send(SIGTERM)
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardError.contains("daemon stopped"), "\(outcome)")
    }
}
