import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// post, preview, and the post job that approves a preview.
@Suite("Modes")
struct ModeTests {
    /// Everything a preview must leave alone, as text.
    static func untouchable(_ company: String, on connection: PostgresConnection) throws -> [String] {
        var lines: [String] = []
        for sql in [
            "SELECT id, settled_amount, settled_amount_accounting, kind FROM customer_transaction WHERE company_id = $1 ORDER BY id",
            "SELECT account, one_time, customer_account FROM vendor WHERE company_id = $1 ORDER BY account",
            "SELECT name, prefix, next_value, width FROM number_sequence WHERE company_id = $1 ORDER BY name",
            "SELECT count(*) FROM reimbursement WHERE company_id = $1",
            "SELECT count(*) FROM vendor_invoice WHERE company_id = $1",
            "SELECT count(*) FROM ledger_entry WHERE company_id = $1",
            "SELECT count(*) FROM customer_settlement WHERE company_id = $1",
        ] {
            lines += try Store.rows(sql, company, on: connection)
        }
        return lines
    }

    /// A: new one-time vendor; B: own vendor; C: two currencies; D: below the minimum;
    /// E: on hold; F: no credit.
    static func buildLedger(on connection: PostgresConnection) throws {
        try LedgerFixture.company("MODE", minimum: "10", on: connection)
        try LedgerFixture.customer("MODE", "A", on: connection)
        try LedgerFixture.transaction("MODE", "A", amount: "-20", on: connection)
        try LedgerFixture.transaction("MODE", "A", amount: "-30", ledgerAccount: "1300", on: connection)
        try LedgerFixture.vendor("MODE", "V-B", on: connection)
        try LedgerFixture.customer("MODE", "B", vendorAccount: "V-B", on: connection)
        try LedgerFixture.transaction("MODE", "B", amount: "-40", settled: "-15", on: connection)
        try LedgerFixture.customer("MODE", "C", on: connection)
        try LedgerFixture.transaction("MODE", "C", amount: "-11", on: connection)
        try LedgerFixture.transaction("MODE", "C", amount: "-12", accounting: "-13.2", currency: "EUR", on: connection)
        try LedgerFixture.customer("MODE", "D", on: connection)
        try LedgerFixture.transaction("MODE", "D", amount: "-9.99", on: connection)
        try LedgerFixture.customer("MODE", "E", onHold: true, on: connection)
        try LedgerFixture.transaction("MODE", "E", amount: "-60", on: connection)
        try LedgerFixture.customer("MODE", "F", on: connection)
        try LedgerFixture.transaction("MODE", "F", amount: "60", on: connection)
    }

    static func credits(_ account: String, on connection: PostgresConnection) throws -> [Int64] {
        try connection.query(
            "SELECT id FROM customer_transaction WHERE customer_account = $1 AND amount < 0 ORDER BY id", account
        ) { try $0.decode(Int64.self, at: 0) }
    }

    @Test func previewWritesOnlyProposalsAndSkips() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.buildLedger(on: connection)
            let before = try Self.untouchable("MODE", on: connection)
            let job = try LedgerFixture.job("MODE", mode: "preview", on: connection)
            let tally = try Store.run(job, chunkSize: 2, on: connection)
            #expect(tally?.reimbursements == 4)
            #expect(try Self.untouchable("MODE", on: connection) == before)
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE kind = 'reimbursement'", on: connection) == 0)

            let a = try Self.credits("A", on: connection)
            let b = try Self.credits("B", on: connection)
            let c = try Self.credits("C", on: connection)
            #expect(try Store.rows("""
                SELECT customer_account, vendor_account, currency, amount, amount_accounting, credit_transaction_ids
                  FROM reimbursement_proposal WHERE job_id = $1 ORDER BY customer_account, currency
                """, job, on: connection) == [
                    "A|NULL|USD|50.000000|50.000000|{\(a[0]),\(a[1])}",
                    "B|V-B|USD|25.000000|25.000000|{\(b[0])}",
                    "C|NULL|EUR|12.000000|13.200000|{\(c[1])}",
                    "C|NULL|USD|11.000000|11.000000|{\(c[0])}",
                ])
            #expect(try RuleTests.skips(job, on: connection) == [
                "D|USD|below_minimum|9.990000|9.990000",
                "E|NULL|on_hold|NULL|60.000000",
            ])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 6)
            #expect(result.reimbursed == 3)
            #expect(result.reimbursements == 4)
            #expect(result.noCreditBalance == 1)
            #expect(result.skipped("below_minimum") == 1)
            #expect(result.skipped("on_hold") == 1)
            #expect(result.total("USD") == Money("86"))
            #expect(result.total("EUR", "amount_accounting") == Money("13.2"))
            #expect(try Store.state(of: job, on: connection) == "succeeded")
        }
    }

    @Test func approvalPostsExactlyTheProposals() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.buildLedger(on: connection)
            let preview = try LedgerFixture.job("MODE", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            // After the preview, unapproved changes that must not be posted: D gets above the
            // minimum, and a new customer gets a credit. Neither has a proposal.
            try LedgerFixture.transaction("MODE", "D", amount: "-50", on: connection)
            try LedgerFixture.customer("MODE", "G", on: connection)
            try LedgerFixture.transaction("MODE", "G", amount: "-70", on: connection)

            let approval = try LedgerFixture.job("MODE", approves: preview, on: connection)
            let tally = try Store.run(approval, chunkSize: 2, on: connection)
            #expect(tally?.reimbursements == 4)
            let posted = try Store.rows("""
                SELECT customer_account, vendor_account, currency, amount, amount_accounting FROM reimbursement
                 WHERE job_id = $1 ORDER BY customer_account, currency
                """, approval, on: connection)
            let proposed = try Store.rows("""
                SELECT customer_account, coalesce(vendor_account, 'OTV-0000000' || dense_rank() OVER (
                           ORDER BY CASE WHEN vendor_account IS NULL THEN customer_account END)),
                       currency, amount, amount_accounting
                  FROM reimbursement_proposal WHERE job_id = $1 ORDER BY customer_account, currency
                """, preview, on: connection)
            #expect(posted == proposed)
            #expect(posted == [
                "A|OTV-00000001|USD|50.000000|50.000000",
                "B|V-B|USD|25.000000|25.000000",
                "C|OTV-00000002|EUR|12.000000|13.200000",
                "C|OTV-00000002|USD|11.000000|11.000000",
            ])
            // Settled: exactly the proposed credits.
            #expect(try Store.rows(
                "SELECT credit_transaction_id FROM customer_settlement WHERE job_id = $1 ORDER BY 1", approval,
                on: connection)
                == Store.rows(
                    "SELECT unnest(credit_transaction_ids) FROM reimbursement_proposal WHERE job_id = $1 ORDER BY 1",
                    preview, on: connection))
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE customer_account IN ('D', 'G') AND settled_amount <> 0",
                on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_skip WHERE job_id = $1", approval,
                                    on: connection) == 0)
            let result = try #require(try Store.result(of: approval, on: connection))
            // Only the customers of the proposals are selected.
            #expect(result.selected == 3)
            #expect(result.reimbursed == 3)
            #expect(try Store.rows("SELECT customers_total, customers_done FROM reimbursement_job WHERE id = $1",
                                   approval, on: connection) == ["3|3"])
            try PostingAudit.expectConsistent(company: "MODE", on: connection)
        }
    }

    @Test func changedCustomersAreSkippedOthersPost() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.buildLedger(on: connection)
            let preview = try LedgerFixture.job("MODE", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            // A: a new credit. B: its credit partly settled elsewhere. C: a new EUR credit only,
            // so its USD proposal still posts.
            try LedgerFixture.transaction("MODE", "A", amount: "-5", on: connection)
            let b = try Self.credits("B", on: connection)[0]
            try connection.execute(
                "UPDATE customer_transaction SET settled_amount = -20, settled_amount_accounting = -20 WHERE id = $1", b)
            try LedgerFixture.transaction("MODE", "C", amount: "-1", accounting: "-1.1", currency: "EUR", on: connection)

            let approval = try LedgerFixture.job("MODE", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try RuleTests.reimbursements(approval, on: connection) == ["C|OTV-00000001|t|USD|11.000000|11.000000"])
            #expect(try RuleTests.skips(approval, on: connection) == [
                "A|USD|changed_since_preview|55.000000|55.000000",
                "B|USD|changed_since_preview|20.000000|20.000000",
                "C|EUR|changed_since_preview|13.000000|14.300000",
            ])
            // The changed customers' credits are untouched.
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction
                 WHERE (customer_account = 'A' OR currency = 'EUR') AND settled_amount <> 0
                """, on: connection) == 0)
            #expect(try Store.rows("SELECT settled_amount FROM customer_transaction WHERE id = $1", b, on: connection)
                == ["-20.000000"])
            let result = try #require(try Store.result(of: approval, on: connection))
            #expect(result.selected == 3)
            #expect(result.reimbursed == 1)
            #expect(result.skipped("changed_since_preview") == 2)
            #expect(result.reimbursements == 1)
            try PostingAudit.expectConsistent(company: "MODE", on: connection)

            // A customer whose proposed credits were settled meanwhile by another job: only
            // counted, no_credit_balance, no skip row (issue 11, kind 3).
            let secondPreview = try LedgerFixture.job("MODE", mode: "preview", accounts: ["A"], on: connection)
            try Store.run(secondPreview, on: connection)
            let other = try LedgerFixture.job("MODE", accounts: ["A"], on: connection)
            try Store.run(other, on: connection)
            let late = try LedgerFixture.job("MODE", approves: secondPreview, on: connection)
            try Store.run(late, on: connection)
            #expect(try RuleTests.skips(late, on: connection) == [])
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", late, on: connection) == 0)
            let lateResult = try #require(try Store.result(of: late, on: connection))
            #expect(lateResult.selected == 1 && lateResult.noCreditBalance == 1)
            #expect(lateResult.skipped("changed_since_preview") == 0)
        }
    }

    @Test func approvingSomethingElseIsRefused() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.buildLedger(on: connection)
            let post = try LedgerFixture.job("MODE", on: connection)
            try Store.run(post, on: connection)
            // The database refuses the INSERT; the runner refuses a job that got there anyway
            // (the preview is still queued).
            #expect(throws: PostgresError.self) {
                _ = try LedgerFixture.job("MODE", approves: post, on: connection)
            }
            let preview = try LedgerFixture.job("MODE", mode: "preview", on: connection)
            try connection.execute("ALTER TABLE reimbursement_job DISABLE TRIGGER reimbursement_job_check_approval")
            let approval = try LedgerFixture.job("MODE", approves: preview, on: connection)
            try connection.execute("ALTER TABLE reimbursement_job ENABLE TRIGGER reimbursement_job_check_approval")
            let error = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection).runQueuedJob(id: approval)
            }
            #expect(error?.description.contains("not a succeeded preview") == true)
            #expect(try Store.state(of: approval, on: connection) == "failed")
        }
    }
}
