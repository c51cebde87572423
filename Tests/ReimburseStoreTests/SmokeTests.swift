import Logging
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

@Suite("Posting a job end to end")
struct PostingSmokeTests {
    @Test func postsOneCustomerBalanced() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("USMF", minimum: "10", on: connection)
            try LedgerFixture.customer("USMF", "C001", on: connection)
            try LedgerFixture.transaction("USMF", "C001", amount: "-25.50", on: connection)
            try LedgerFixture.transaction("USMF", "C001", amount: "-4.50", ledgerAccount: "1300", on: connection)
            try LedgerFixture.customer("USMF", "C002", on: connection)
            try LedgerFixture.transaction("USMF", "C002", amount: "-5", on: connection)
            let job = try LedgerFixture.job("USMF", on: connection)
            let runner = JobRunner(connection: connection, logger: Logger(label: "test"))
            let outcome = try runner.runQueuedJob(id: job)
            guard case .succeeded(let tally) = outcome else {
                Issue.record("unexpected \(String(describing: outcome))")
                return
            }
            #expect(tally.reimbursements == 1)
            #expect(tally.skipped[.belowMinimum] == 1)
            #expect(try connection.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", job) == "succeeded")
            #expect(try connection.queryValue(String.self, "SELECT sum(amount)::text FROM ledger_entry") == "0.000000")
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM ledger_entry") == 3)
            #expect(try connection.queryValue(String.self, "SELECT amount::text FROM vendor_invoice") == "30.000000")
            #expect(try connection.queryValue(String.self, "SELECT invoice_number FROM vendor_invoice") == "VI-00000001")
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM vendor WHERE one_time") == 1)
            #expect(try connection.queryValue(
                Int.self, "SELECT count(*) FROM customer_transaction WHERE amount <> settled_amount AND amount < 0") == 1)
            let second = try LedgerFixture.job("USMF", on: connection)
            guard case .succeeded(let again) = try runner.runQueuedJob(id: second) else {
                Issue.record("second run failed")
                return
            }
            #expect(again.reimbursements == 0)
        }
    }
}
