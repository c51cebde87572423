import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Business errors fail the job at once, with a message a person can act on, and keep exactly
/// what was committed before.
@Suite("Failures")
struct FailureTests {
    @Test(arguments: ["reimbursement_voucher", "vendor_invoice", "one_time_vendor"])
    func aMissingNumberSequenceFailsBeforePostingAnything(sequence: String) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SEQ", on: connection)
            try LedgerFixture.vendor("SEQ", "V1", on: connection)
            try LedgerFixture.customer("SEQ", "C1", vendorAccount: "V1", on: connection)
            try LedgerFixture.transaction("SEQ", "C1", amount: "-10", on: connection)
            try LedgerFixture.customer("SEQ", "C2", onHold: true, on: connection)
            try LedgerFixture.transaction("SEQ", "C2", amount: "-10", on: connection)
            try connection.execute("DELETE FROM number_sequence WHERE company_id = 'SEQ' AND name = $1", sequence)
            let job = try LedgerFixture.job("SEQ", on: connection)

            let failure = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection, chunkSize: 1).runQueuedJob(id: job)
            }
            let message = failure?.description ?? ""
            #expect(message.contains("SEQ"), "\(message)")
            #expect(message.contains(sequence), "\(message)")
            #expect(try Store.rows(
                "SELECT state, last_error, finished_at IS NOT NULL FROM reimbursement_job WHERE id = $1", job,
                on: connection) == ["failed|\(message)|t"])
            #expect(try Store.rows(
                "SELECT outcome, error FROM reimbursement_job_attempt WHERE job_id = $1", job, on: connection)
                == ["failed|\(message)"])
            // Nothing posted, nothing skipped, nothing settled, even though the customer with an
            // existing vendor needs no one-time vendor number.
            for table in ["reimbursement", "vendor_invoice", "ledger_entry", "customer_settlement", "reimbursement_skip"] {
                #expect(try Store.count("SELECT count(*) FROM \(table)", on: connection) == 0, "\(table)")
            }
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE settled_amount <> 0", on: connection) == 0)
        }
    }

    /// A credit still open in its own currency but settled in accounting currency cannot be
    /// posted (a zero accounting settlement): the job fails naming the customer and the credit,
    /// and nothing of the chunk is posted.
    @Test func aCreditOpenOnlyInTransactionCurrencyFailsNamingIt() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("ACC", on: connection)
            try LedgerFixture.customer("ACC", "C1", on: connection)
            let credit = try LedgerFixture.transaction(
                "ACC", "C1", amount: "-10", accounting: "-10", settled: "-5", settledAccounting: "-10", on: connection)
            let job = try LedgerFixture.job("ACC", on: connection)
            let failure = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection, chunkSize: 10).runQueuedJob(id: job)
            }
            let message = failure?.description ?? ""
            #expect(message.contains("customer C1"), "\(message)")
            #expect(message.contains("credit transaction \(credit)"), "\(message)")
            #expect(try Store.count("SELECT count(*) FROM reimbursement", on: connection) == 0)
            #expect(try Store.rows("SELECT state FROM reimbursement_job WHERE id = $1", job, on: connection) == ["failed"])
        }
    }

    /// A sequence deleted while the job runs: the chunk that needs it fails, earlier chunks
    /// stay posted and counted.
    @Test func aSequenceDeletedMidJobFailsThatChunk() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SEQ", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("SEQ", account, on: connection)
                try LedgerFixture.transaction("SEQ", account, amount: "-10", on: connection)
            }
            let job = try LedgerFixture.job("SEQ", on: connection)
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "test", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let error = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection, chunkSize: 1).run(lease, shouldStop: {
                    if chunks == 1 {
                        _ = try? connection.execute("DELETE FROM number_sequence WHERE name = 'vendor_invoice'")
                    }
                    chunks += 1
                    return false
                })
            }
            #expect(error?.description.contains("vendor_invoice") == true)
            #expect(error?.description.contains("SEQ") == true)
            #expect(try Store.rows("SELECT customer_account FROM reimbursement", on: connection) == ["C1"])
            #expect(try Store.result(of: job, on: connection)?.reimbursed == 1)
            #expect(try Store.rows("SELECT checkpoint_customer FROM reimbursement_job WHERE id = $1", job,
                                   on: connection) == ["C1"])
        }
    }

    @Test func anAmountThatDoesNotFitFailsTheJobNamingTheCustomer() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("OVER", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("OVER", account, on: connection)
                try LedgerFixture.transaction("OVER", account, amount: "-10", on: connection)
            }
            try LedgerFixture.customer("OVER", "C4-HUGE", on: connection)
            try LedgerFixture.transaction("OVER", "C4-HUGE", amount: "-999999999999999999", on: connection)
            try LedgerFixture.transaction("OVER", "C4-HUGE", amount: "-999999999999999999", on: connection)
            try LedgerFixture.customer("OVER", "C5", on: connection)
            try LedgerFixture.transaction("OVER", "C5", amount: "-10", on: connection)
            let job = try LedgerFixture.job("OVER", on: connection)

            // Chunks of two: [C1, C2] commits, [C3, C4-HUGE] fails as a whole.
            let failure = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection, chunkSize: 2).runQueuedJob(id: job)
            }
            let message = failure?.description ?? ""
            #expect(message.contains("C4-HUGE"), "\(message)")
            #expect(message.contains("1999999999999999998"), "\(message)")
            #expect(try Store.rows("SELECT state, last_error FROM reimbursement_job WHERE id = $1", job, on: connection)
                == ["failed|\(message)"])
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection) == ["C1", "C2"])
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction
                 WHERE customer_account IN ('C3', 'C4-HUGE', 'C5') AND settled_amount <> 0
                """, on: connection) == 0)
            // The result counts what was posted before the failure.
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 2)
            #expect(result.reimbursed == 2)
            #expect(result.total("USD") == Money("20"))
            #expect(try Store.rows("SELECT customers_done, customers_total FROM reimbursement_job WHERE id = $1",
                                   job, on: connection) == ["2|5"])
            #expect(try Store.rows(
                "SELECT name, next_value FROM number_sequence WHERE company_id = 'OVER' ORDER BY name", on: connection)
                == ["one_time_vendor|3", "reimbursement_voucher|3", "vendor_invoice|3"])
            try PostingAudit.expectConsistent(company: "OVER", on: connection)
        }
    }

    /// The last value a bigint sequence can hand out is refused with a message, not a crash or
    /// a half-written chunk.
    @Test func anExhaustedSequenceFailsTheJobCleanly() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("FULL", on: connection)
            try connection.execute("""
                UPDATE number_sequence SET next_value = 9223372036854775806
                 WHERE company_id = 'FULL' AND name = 'reimbursement_voucher'
                """)
            for account in ["C1", "C2"] {
                try LedgerFixture.customer("FULL", account, on: connection)
                try LedgerFixture.transaction("FULL", account, amount: "-10", on: connection)
            }
            let job = try LedgerFixture.job("FULL", on: connection)
            let failure = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection, chunkSize: 1).runQueuedJob(id: job)
            }
            let message = failure?.description ?? ""
            #expect(message.contains("FULL") && message.contains("reimbursement_voucher"), "\(message)")
            #expect(try Store.rows("SELECT customer_account, voucher FROM reimbursement", on: connection)
                == ["C1|RV-9223372036854775806"])
            #expect(try Store.state(of: job, on: connection) == "failed")
            #expect(try Store.rows(
                "SELECT next_value FROM number_sequence WHERE company_id = 'FULL' AND name = 'reimbursement_voucher'",
                on: connection) == ["9223372036854775807"])
        }
    }
}
