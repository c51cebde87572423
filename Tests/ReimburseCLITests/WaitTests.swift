import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// `enqueue --wait` against a job whose state the test moves by hand, standing in for the
/// daemon, so every ending is reached on cue.
@Suite("reimburse enqueue --wait")
struct WaitTests {
    private func startWaiting(_ database: TestDatabase) async throws -> (ChildProcess, Int64) {
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let child = try Reimburse.start(["enqueue", "--company", "USMF", "--wait", "--database-url", database.conninfo])
        let printed = try await child.waitForOutput(containing: "\n", timeout: .seconds(30))
        #expect(printed, "no job id printed: \(child.standardError)")
        let id = try #require(Int64(child.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        return (child, id)
    }

    private func update(_ database: TestDatabase, _ sql: String, _ id: Int64) async throws {
        try await database.withConnection { _ = try $0.execute(sql, id) }
    }

    @Test func succeededJobPrintsTheSummaryAndExitsZero() async throws {
        let database = try await TestServer.database()
        let (child, id) = try await startWaiting(database)
        try await update(database, """
            UPDATE reimbursement_job SET state = 'running', started_at = now(), customers_total = 10, customers_done = 4
             WHERE id = $1
            """, id)
        try await Task.sleep(for: .milliseconds(600))
        try await update(database, """
            UPDATE reimbursement_job
               SET state = 'succeeded', finished_at = now(), customers_done = 10,
                   result = '{"customers": {"selected": 10, "reimbursed": 6, "no_credit_balance": 1,
                              "skipped": {"on_hold": 1, "below_minimum": 2, "open_debits": 0}},
                              "reimbursements": 7,
                              "totals": {"USD": {"amount": "1234.500000", "amount_accounting": "1234.500000"}}}'
             WHERE id = $1
            """, id)
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains(
            "job \(id) succeeded: 10 customers selected, 6 reimbursed (7 reimbursements), "
                + "3 skipped (below_minimum 2, on_hold 1), 1 without credit balance; totals USD 1234.500000"),
            "\(outcome)")
        // Not a terminal: plain progress lines, at most one per second.
        #expect(outcome.standardError.contains("job \(id) running: 40% 4/10 customers"), "\(outcome)")
        #expect(!outcome.standardError.contains("\r"), "\(outcome)")
    }

    @Test func failedJobExitsOneWithItsError() async throws {
        let database = try await TestServer.database()
        let (child, id) = try await startWaiting(database)
        try await update(database, """
            UPDATE reimbursement_job
               SET state = 'failed', finished_at = now(),
                   last_error = 'company USMF has no number sequence vendor_invoice'
             WHERE id = $1
            """, id)
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 1, "\(outcome)")
        #expect(outcome.standardError.contains(
            "reimburse: error: job \(id) failed: company USMF has no number sequence vendor_invoice"), "\(outcome)")
    }

    @Test func cancelledJobExitsTwo() async throws {
        let database = try await TestServer.database()
        let (child, id) = try await startWaiting(database)
        try await update(database, "UPDATE reimbursement_job SET state = 'cancelled', finished_at = now() WHERE id = $1", id)
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 2, "\(outcome)")
        #expect(outcome.standardError.contains("job \(id) was cancelled"), "\(outcome)")
    }
}
