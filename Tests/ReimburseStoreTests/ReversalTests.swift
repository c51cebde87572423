import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Reversal (PRODUCT.md §8, issue 15): post, reverse, and the ledger is as before; nothing
/// deleted, nothing reversed twice.
@Suite("Reversal")
struct ReversalTests {
    static func verify(_ company: String, on connection: PostgresConnection, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        // MixedLedger starts its vouchers at 90 on purpose: that gap is not the reversal's.
        let violations = verification.violations.filter { !$0.message.contains("voucher values 1 to 89 ") }
        #expect(violations.isEmpty, "\(violations)", sourceLocation: sourceLocation)
        #expect(verification.checks.contains("reversal_mirrors_original"), sourceLocation: sourceLocation)
    }

    static func reversalResult(_ job: Int64, on connection: PostgresConnection) throws -> String {
        try connection.queryValue(String.self, "SELECT result::text FROM reimbursement_job WHERE id = $1", job) ?? ""
    }

    /// Post -> reverse -> the open balances per customer are the original ones in both
    /// currencies, every voucher pair sums to zero line by line, invoices are cancelled, the
    /// report says reversed; a new run reimburses the same credits again with new numbers.
    @Test func roundTripGivesBackEveryCreditAndARerunReimbursesThemAgain() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let company = MixedLedger.company
            let before = try ReversalFixture.openBalances(company, on: connection)
            let post = try LedgerFixture.job(company, on: connection)
            let posted = try #require(try Store.run(post, chunkSize: 7, on: connection))
            #expect(posted.reimbursements > 10)
            #expect(try ReversalFixture.openBalances(company, on: connection) != before)

            let reverse = try ReversalFixture.job(company, reversesJob: post, on: connection)
            let reversed = try #require(try Store.run(reverse, chunkSize: 4, on: connection))
            #expect(reversed.reimbursements == posted.reimbursements)
            #expect(try ReversalFixture.openBalances(company, on: connection) == before)

            // Every voucher pair: the reversal's lines are the original's, opposite, same order.
            let unmirrored = try Store.count("""
                SELECT count(*) FROM reimbursement r
                  JOIN reimbursement_reversal x ON x.company_id = r.company_id AND x.reimbursement_id = r.id
                  JOIN ledger_entry o ON o.company_id = r.company_id AND o.voucher = r.voucher
                  LEFT JOIN ledger_entry m ON m.company_id = x.company_id AND m.voucher = x.voucher AND m.line = o.line
                 WHERE r.company_id = $1 AND r.job_id = $2
                   AND (m.line IS NULL OR m.amount <> -o.amount OR m.amount_accounting <> -o.amount_accounting
                        OR m.account <> o.account OR m.posting_type <> o.posting_type OR m.reversal_id <> x.id
                        OR m.reimbursement_id <> r.id OR m.posting_date <> DATE '2026-11-30')
                """, company, post, on: connection)
            #expect(unmirrored == 0)
            let pairSums = try Store.rows("""
                SELECT sum(l.amount), sum(l.amount_accounting) FROM ledger_entry l
                 WHERE l.company_id = $1 GROUP BY l.reimbursement_id, l.account, l.posting_type
                HAVING sum(l.amount) <> 0 OR sum(l.amount_accounting) <> 0
                """, company, on: connection)
            #expect(pairSums.isEmpty)
            #expect(try Store.rows("""
                SELECT DISTINCT status FROM reimbursement_report WHERE company_id = $1 AND job_id = $2
                """, company, post, on: connection) == ["reversed"])
            #expect(try Store.count("""
                SELECT count(*) FROM vendor_invoice i JOIN reimbursement_reversal x
                  ON x.company_id = i.company_id AND x.id = i.reversal_id
                 WHERE i.company_id = $1 AND i.settled_amount = i.amount AND x.reimbursement_id = i.reimbursement_id
                """, company, on: connection) == posted.reimbursements)
            #expect(try Store.count("""
                SELECT count(*) FROM reimbursement_reversal
                 WHERE company_id = $1 AND job_id = $2 AND reason = 'entered by mistake' AND requested_by = current_user
                """, company, reverse, on: connection) == posted.reimbursements)
            #expect(try Store.rows("""
                SELECT (result -> 'reversal' ->> 'selected') || '|' || (result -> 'reversal' ->> 'reversed') || '|'
                       || (result ->> 'reversals') || '|' || (result -> 'totals' -> 'USD' ->> 'amount')
                  FROM reimbursement_job WHERE id = $1
                """, reverse, on: connection) == [
                    "\(posted.reimbursements)|\(posted.reimbursements)|\(posted.reimbursements)|"
                        + "\(posted.totals[Code("USD")]!.amount)",
                ])
            try Self.verify(company, on: connection)

            // The credits, open again, are reimbursed by the next run: same amounts, new numbers.
            let again = try LedgerFixture.job(company, postingDate: "2026-12-01", on: connection)
            let rerun = try #require(try Store.run(again, on: connection))
            #expect(rerun.reimbursements == posted.reimbursements)
            #expect(rerun.totals == posted.totals)
            let amounts = """
                SELECT customer_account || '|' || currency || '|' || amount || '|' || amount_accounting
                  FROM reimbursement WHERE company_id = $1 AND job_id = $2 ORDER BY 1
                """
            #expect(try Store.rows(amounts, company, again, on: connection)
                    == Store.rows(amounts, company, post, on: connection))
            #expect(try Store.count("""
                SELECT count(*) FROM reimbursement a JOIN reimbursement b
                  ON b.company_id = a.company_id AND (b.voucher = a.voucher OR b.vendor_invoice_id = a.vendor_invoice_id)
                 WHERE a.company_id = $1 AND a.job_id = $2 AND b.job_id = $3
                """, company, post, again, on: connection) == 0)
            try Self.verify(company, on: connection)
        }
    }

    /// `summarize = false`: one reimbursement per ledger account; reversing one of them reopens
    /// only its ledger account's credits, with a voucher mirroring its own lines.
    @Test func summarizeFalseReimbursementsReverseLineByLine() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("LBL", on: connection)
            try LedgerFixture.customer("LBL", "C1", on: connection)
            let a = try LedgerFixture.transaction("LBL", "C1", amount: "-10.00", accounting: "-11.00", ledgerAccount: "1200", on: connection)
            let b = try LedgerFixture.transaction("LBL", "C1", amount: "-20.00", accounting: "-22.00", ledgerAccount: "1300", on: connection)
            let c = try LedgerFixture.transaction("LBL", "C1", amount: "-5.00", accounting: "-5.50", ledgerAccount: "1300", on: connection)
            let post = try LedgerFixture.job("LBL", summarize: false, on: connection)
            #expect(try Store.run(post, on: connection)?.reimbursements == 2)
            let on1300 = try #require(try connection.queryValue(Int64.self, """
                SELECT r.id FROM reimbursement r WHERE r.company_id = 'LBL' AND r.amount = 25
                """))
            let reverse = try ReversalFixture.job("LBL", ids: [on1300], on: connection)
            #expect(try Store.run(reverse, on: connection)?.reimbursements == 1)
            let settled = try Store.rows("""
                SELECT id || '|' || settled_amount || '|' || settled_amount_accounting FROM customer_transaction
                 WHERE company_id = 'LBL' AND id = ANY($1) ORDER BY id
                """, [a, b, c], on: connection)
            #expect(settled == ["\(a)|-10.000000|-11.000000", "\(b)|0.000000|0.000000", "\(c)|0.000000|0.000000"])
            #expect(try Store.rows("""
                SELECT l.line || '|' || l.account || '|' || l.posting_type || '|' || l.amount || '|' || l.amount_accounting
                  FROM ledger_entry l JOIN reimbursement_reversal x ON x.company_id = l.company_id AND x.voucher = l.voucher
                 WHERE l.company_id = 'LBL' ORDER BY l.line
                """, on: connection) == [
                    "1|1300|customer_reimbursement|-25.000000|-27.500000", "2|2100|vendor_balance|25.000000|27.500000",
                ])
            #expect(try Store.rows("""
                SELECT kind || '|' || ledger_account || '|' || amount || '|' || settled_amount || '|' || amount_accounting
                  FROM customer_transaction WHERE company_id = 'LBL' AND kind = 'reimbursement_reversal'
                """, on: connection) == ["reimbursement_reversal|1300|-25.000000|-25.000000|-27.500000"])
            try Self.verify("LBL", on: connection)
        }
    }

    /// A paid or partly paid vendor invoice is refused (`vendor_invoice_paid`), a second
    /// reversal finds `already_reversed`, and one posted after the reversal's date is
    /// `invalid_data`; each skip row names its reimbursement with its currency and amounts.
    @Test func paidInvoicesAlreadyReversedAndLaterPostingsAreLeftAlone() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("PAID", on: connection)
            for account in ["A", "B", "C", "D"] {
                try LedgerFixture.customer("PAID", account, on: connection)
                try LedgerFixture.transaction("PAID", account, amount: "-40.00", on: connection)
            }
            let post = try LedgerFixture.job("PAID", accounts: ["A", "B", "C"], on: connection)
            try Store.run(post, on: connection)
            let later = try LedgerFixture.job("PAID", accounts: ["D"], postingDate: "2026-12-31", on: connection)
            try Store.run(later, on: connection)
            func id(_ account: String) throws -> Int64 {
                try #require(try connection.queryValue(
                    Int64.self, "SELECT id FROM reimbursement WHERE company_id = 'PAID' AND customer_account = $1", account))
            }
            try connection.execute("""
                UPDATE vendor_invoice SET settled_amount = CASE r.customer_account WHEN 'A' THEN 40 ELSE 0.01 END
                  FROM reimbursement r
                 WHERE r.company_id = vendor_invoice.company_id AND r.id = vendor_invoice.reimbursement_id
                   AND r.customer_account IN ('A', 'B')
                """)
            let ids = [try id("A"), try id("B"), try id("C"), try id("D")]
            // No posting date: the company's today (before D's posting date), resolved at start.
            let reverse = try ReversalFixture.job("PAID", ids: ids, postingDate: nil, on: connection)
            let tally = try #require(try Store.run(reverse, on: connection))
            #expect(tally.reimbursements == 1)
            let today = try #require(try connection.queryValue(String.self, "SELECT current_date::text"))
            let skips = try Store.rows("""
                SELECT customer_account || '|' || currency || '|' || reason || '|' || credit_balance || '|'
                       || reimbursement_id || '|' || detail
                  FROM reimbursement_skip WHERE job_id = $1 ORDER BY customer_account
                """, reverse, on: connection)
            #expect(skips == [
                    "A|USD|vendor_invoice_paid|40.000000|\(ids[0])|reimbursement \(ids[0]) (voucher RV-00000001, 40.00 USD): "
                        + "vendor invoice VI-00000001 is paid (40.00 of 40.00); undo the payment in accounts payable first",
                    "B|USD|vendor_invoice_paid|40.000000|\(ids[1])|reimbursement \(ids[1]) (voucher RV-00000002, 40.00 USD): "
                        + "vendor invoice VI-00000002 is partly paid (0.01 of 40.00); undo the payment in accounts payable first",
                    "D|USD|invalid_data|40.000000|\(ids[3])|reimbursement \(ids[3]) (voucher RV-00000004, 40.00 USD): "
                        + "posted on 2026-12-31, after the reversal's posting date \(today)",
                ], "\(skips)")
            let again = try ReversalFixture.job("PAID", ids: [ids[2]], on: connection)
            #expect(try Store.run(again, on: connection)?.reimbursements == 0)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", again, on: connection)
                    == ["already_reversed"])
            #expect(try connection.queryValue(Bool.self, "SELECT result = $2::jsonb FROM reimbursement_job WHERE id = $1",
                                              again, """
                {"reversal": {"reversed": 0, "selected": 1, "skipped": {"already_reversed": 1, "changed_since_preview": 0, \
                "in_payment": 0, "invalid_data": 0, "vendor_invoice_paid": 0}}, "reversals": 0, "totals": {}}
                """) == true)
            try Self.verify("PAID", on: connection)
        }
    }

    /// A preview proposes and posts nothing; its approval reverses exactly the proposals, and a
    /// proposal that no longer matches is `changed_since_preview`.
    @Test func previewAndApprovalReverseExactlyWhatWasShown() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try ModeTests.buildLedger(on: connection)
            let post = try LedgerFixture.job("MODE", on: connection)
            let posted = try #require(try Store.run(post, on: connection))
            let untouched = try ModeTests.untouchable("MODE", on: connection)
            let preview = try ReversalFixture.job("MODE", reversesJob: post, mode: "preview", on: connection)
            #expect(try Store.run(preview, on: connection)?.reimbursements == posted.reimbursements)
            #expect(try ModeTests.untouchable("MODE", on: connection) == untouched)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal", on: connection) == 0)
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement_reversal_proposal WHERE job_id = $1 AND cardinality(credit_transaction_ids) >= 1",
                preview, on: connection) == posted.reimbursements)
            // Someone edits one proposal: that one is not reversed.
            try connection.execute("""
                UPDATE reimbursement_reversal_proposal SET amount = amount + 1
                 WHERE id = (SELECT min(id) FROM reimbursement_reversal_proposal WHERE job_id = $1)
                """, preview)
            let approve = try ReversalFixture.job("MODE", approves: preview, on: connection)
            #expect(try connection.queryValue(String.self, """
                SELECT operation || '|' || reverses_job_id || '|' || reversal_reason FROM reimbursement_job WHERE id = $1
                """, approve) == "reverse|\(post)|entered by mistake")
            #expect(try Store.run(approve, on: connection)?.reimbursements == posted.reimbursements - 1)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", approve, on: connection)
                    == ["changed_since_preview"])
            try Self.verify("MODE", on: connection)
        }
    }

    /// A reversal stopped between chunks resumes after its checkpoint and never reverses a
    /// reimbursement twice; its result counts each once.
    @Test func reversalResumesAfterAStopAndNeverReversesTwice() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let company = MixedLedger.company
            let before = try ReversalFixture.openBalances(company, on: connection)
            let post = try LedgerFixture.job(company, on: connection)
            let posted = try #require(try Store.run(post, on: connection))
            let reverse = try ReversalFixture.job(company, reversesJob: post, on: connection)
            let runner = Store.runner(connection, chunkSize: 3)
            let lease = try #require(try JobStateStore.claim(
                jobID: reverse, owner: "test", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let outcome = try runner.run(lease, shouldStop: { chunks >= 2 }, progress: { _, _ in chunks += 1 })
            guard case .interrupted(let partial) = outcome else {
                Issue.record("expected an interruption, got \(outcome)")
                return
            }
            #expect(partial.reimbursements == 6)
            try JobStateStore.release(lease, on: connection)
            let rest = try #require(try Store.run(reverse, chunkSize: 3, on: connection))
            #expect(rest.reimbursements == posted.reimbursements)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal WHERE job_id = $1", reverse, on: connection)
                    == posted.reimbursements)
            #expect(try ReversalFixture.openBalances(company, on: connection) == before)
            try Self.verify(company, on: connection)
        }
    }
}
