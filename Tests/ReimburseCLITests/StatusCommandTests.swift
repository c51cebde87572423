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
        }
        let outcome = try await Reimburse.run("status", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let rows = outcome.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["company", "queued", "scheduled", "running", "oldest", "waiting", "failed", "24h"])
        let usmf = try #require(rows.first { $0.first == "USMF" })
        #expect(usmf[1] == "1" && usmf[2] == "1" && usmf[3] == "-" && usmf.last == "0", "\(outcome)")
        #expect(usmf[4].hasPrefix("5m"), "\(outcome)")
        let demf = try #require(rows.first { $0.first == "DEMF" })
        #expect(demf == ["DEMF", "0", "0", "job", demf[4], "512/1000", "-", "1"], "\(outcome)")
    }
}
