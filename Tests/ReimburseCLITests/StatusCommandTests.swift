import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse status")
struct StatusCommandTests {
    @Test func showsQueuedRunningAndFailedJobsPerCompany() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            try Fixtures.company("DEMF", currency: "EUR", on: connection)
            try connection.execute("INSERT INTO reimbursement_job (company_id, run_at) VALUES ('USMF', now() - interval '5 minutes')")
            try connection.execute("INSERT INTO reimbursement_job (company_id, run_at) VALUES ('USMF', now() + interval '1 day')")
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, state, started_at, customers_total, customers_done)
                VALUES ('DEMF', 'running', now(), 1000, 512)
                """)
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, state, finished_at, last_error)
                VALUES ('DEMF', 'failed', now(), 'boom')
                """)
            // A job waiting for a customer a clerk holds: back in the queue with a backoff.
            try Fixtures.company("WAIT", on: connection)
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, run_at, wait_reason, lock_waits, deferred_customers,
                                               customers_total, customers_done)
                VALUES ('WAIT', now() + interval '8 seconds', 'waiting for locked customers: 1 (C2)', 3, '{C2}', 3, 2)
                """)
        }
        let outcome = try await Reimburse.run("status", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let rows = outcome.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["company", "queued", "scheduled", "running", "oldest", "waiting", "failed", "24h", "why", "waiting"])
        let usmf = try #require(rows.first { $0.first == "USMF" })
        #expect(usmf[1] == "1" && usmf[2] == "1" && usmf[3] == "-" && usmf[5] == "0" && usmf.last == "-", "\(outcome)")
        #expect(usmf[4].hasPrefix("5m"), "\(outcome)")
        let demf = try #require(rows.first { $0.first == "DEMF" })
        #expect(demf == ["DEMF", "0", "0", "job", demf[4], "512/1000", "-", "1", "-"], "\(outcome)")
        let wait = try #require(outcome.standardOutput.split(separator: "\n").first { $0.hasPrefix("WAIT") })
        #expect(wait.contains(" waiting for locked customers: 1 (C2), next try in "), "\(outcome)")
        #expect(wait.split(separator: " ").filter { !$0.isEmpty }.prefix(6) == ["WAIT", "0", "1", "-", "-", "0"])
    }
}
