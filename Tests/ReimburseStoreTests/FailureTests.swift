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
            // A job that fails for a job-level reason still writes its result: zeros.
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 0 && result.reimbursed == 0 && result.reimbursements == 0)
            #expect(result.skipped.values.allSatisfy { $0 == 0 } && result.skipped.keys.contains("invalid_data"))
            #expect(result.totals.isEmpty)
            // Nothing posted, nothing skipped, nothing settled, even though the customer with an
            // existing vendor needs no one-time vendor number.
            for table in ["reimbursement", "vendor_invoice", "ledger_entry", "customer_settlement", "reimbursement_skip"] {
                #expect(try Store.count("SELECT count(*) FROM \(table)", on: connection) == 0, "\(table)")
            }
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE settled_amount <> 0", on: connection) == 0)
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
