import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Adversarial review of reversal (PRODUCT.md §8, issue 15): inputs chosen to break the money
/// rules. Attacks that held stay as regression tests; a break is a `withKnownIssue`.
@Suite("Attack: reversal")
struct AttackReversalTests {
    /// `reimburse verify` clean, and every voucher of the company sums to zero in both columns
    /// (checked here with our own SQL, not only the verifier's).
    static func ledgerIsSound(_ company: String, ignoring: Set<String> = [], on connection: PostgresConnection,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        let violations = verification.violations.filter { violation in !ignoring.contains { "\(violation)".contains("[\($0)]") } }
        #expect(violations.isEmpty, "\(violations)", sourceLocation: sourceLocation)
        let unbalanced = try Store.rows("""
            SELECT voucher, sum(amount), sum(amount_accounting) FROM ledger_entry WHERE company_id = $1
             GROUP BY voucher HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0
            """, company, on: connection)
        #expect(unbalanced.isEmpty, "\(unbalanced)", sourceLocation: sourceLocation)
        let outOfRange = try Store.rows("""
            SELECT id, amount, settled_amount, amount_accounting, settled_amount_accounting FROM customer_transaction
             WHERE company_id = $1
               AND (sign(settled_amount) * sign(amount) < 0 OR abs(settled_amount) > abs(amount)
                    OR sign(settled_amount_accounting) * sign(amount_accounting) < 0
                    OR abs(settled_amount_accounting) > abs(amount_accounting))
            """, company, on: connection)
        #expect(outOfRange.isEmpty, "\(outOfRange)", sourceLocation: sourceLocation)
    }

    static func reimbursementIDs(_ company: String, job: Int64, on connection: PostgresConnection) throws -> [Int64] {
        try connection.query(
            "SELECT id FROM reimbursement WHERE company_id = $1 AND job_id = $2 ORDER BY id", company, job
        ) { try $0.decode(Int64.self, at: 0) }
    }

    /// One credit carried by two active reimbursements: the ERP had settled part of it, the
    /// first run took the rest, the ERP undid its own settlement, the second run took that
    /// part. Reversing both in one job (one chunk) must reopen the credit by both amounts.
    /// (The reopening UPDATE joined the credit twice and PostgreSQL applied one row only, so
    /// the poster's row count check failed the whole job; it now sums per transaction.)
    @Test func oneCreditCarriedByTwoReimbursementsReversedInOneChunk() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SH", on: connection)
            try LedgerFixture.customer("SH", "C1", on: connection)
            let credit = try LedgerFixture.transaction(
                "SH", "C1", amount: "-100.00", settled: "-40.00", on: connection)
            let first = try LedgerFixture.job("SH", on: connection)
            #expect(try Store.run(first, on: connection)?.reimbursements == 1)
            // The ERP undoes its own settlement of 40: the credit is open by 40 again.
            try connection.execute(
                "UPDATE customer_transaction SET settled_amount = -60, settled_amount_accounting = -60 WHERE id = $1",
                credit)
            let second = try LedgerFixture.job("SH", postingDate: "2026-11-26", on: connection)
            #expect(try Store.run(second, on: connection)?.reimbursements == 1)
            // Two active reimbursements of two jobs share the credit; their settlements sum to
            // its settled amount: a sound ledger (credit_settled_once is per job).
            try Self.ledgerIsSound("SH", on: connection)
            let ids = try Self.reimbursementIDs("SH", job: first, on: connection)
                + Self.reimbursementIDs("SH", job: second, on: connection)
            #expect(ids.count == 2)

            let reverse = try ReversalFixture.job("SH", ids: ids, on: connection)
            let outcome: String
            do {
                outcome = "\(try Store.runner(connection).runQueuedJob(id: reverse))"
            } catch {
                outcome = "threw: \(error)"
            }
            let state = try Store.state(of: reverse, on: connection)
            let reversedCount = try Store.count(
                "SELECT count(*) FROM reimbursement_reversal WHERE company_id = 'SH'", on: connection)
            #expect(state == "succeeded", "\(outcome)")
            #expect(reversedCount == 2, "\(outcome)")
            // Whatever happened, money is never half-reversed: the credit carries exactly its
            // active settlements.
            let settled = try connection.queryValue(
                String.self, "SELECT settled_amount::text FROM customer_transaction WHERE id = $1", credit)
            let reversals = try Store.count(
                "SELECT count(*) FROM reimbursement_reversal WHERE company_id = 'SH'", on: connection)
            // The ERP undid its own 40, so with both reversals the credit is wholly open again.
            #expect((reversals == 0 && settled == "-100.000000") || (reversals == 2 && settled == "0.000000"),
                    "\(reversals) reversals, settled \(settled ?? "NULL")")
            try Self.ledgerIsSound("SH", on: connection)
        }
    }

    /// Same with chunks of one: each reversal reopens its own part; the credit is back to what
    /// the ERP left; a rerun reimburses exactly the 60 open again, with new numbers.
    @Test func oneCreditCarriedByTwoReimbursementsReversedChunkByChunk() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SH1", on: connection)
            try LedgerFixture.customer("SH1", "C1", on: connection)
            let credit = try LedgerFixture.transaction(
                "SH1", "C1", amount: "-100.00", settled: "-40.00", on: connection)
            let first = try LedgerFixture.job("SH1", on: connection)
            try Store.run(first, on: connection)
            try connection.execute(
                "UPDATE customer_transaction SET settled_amount = -60, settled_amount_accounting = -60 WHERE id = $1",
                credit)
            let second = try LedgerFixture.job("SH1", postingDate: "2026-11-26", on: connection)
            try Store.run(second, on: connection)
            let ids = try Self.reimbursementIDs("SH1", job: first, on: connection)
                + Self.reimbursementIDs("SH1", job: second, on: connection)
            let reverse = try ReversalFixture.job("SH1", ids: ids, on: connection)
            #expect(try Store.run(reverse, chunkSize: 1, on: connection)?.reimbursements == 2)
            #expect(try connection.queryValue(
                String.self, "SELECT settled_amount::text FROM customer_transaction WHERE id = $1", credit)
                    == "0.000000")
            try Self.ledgerIsSound("SH1", on: connection)
            let rerun = try LedgerFixture.job("SH1", postingDate: "2026-12-01", on: connection)
            let tally = try #require(try Store.run(rerun, on: connection))
            #expect(tally.totals[Code("USD")]?.amount == Money(exactly: "100.00"))
            try Self.ledgerIsSound("SH1", on: connection)
        }
    }

    /// The ERP lowered a reimbursed credit's settled amount below what the reimbursement took
    /// (history changed outside Reimburse): the reversal must not drive `settled_amount` past
    /// zero; it is skipped `invalid_data`, the others are reversed.
    @Test func aCreditUnsettledOutsideIsNotReopenedPastZero() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("NEG", on: connection)
            try LedgerFixture.customer("NEG", "A", on: connection)
            try LedgerFixture.customer("NEG", "B", on: connection)
            let a = try LedgerFixture.transaction("NEG", "A", amount: "-50.00", on: connection)
            try LedgerFixture.transaction("NEG", "B", amount: "-70.00", on: connection)
            let post = try LedgerFixture.job("NEG", on: connection)
            try Store.run(post, on: connection)
            try connection.execute(
                "UPDATE customer_transaction SET settled_amount = -20, settled_amount_accounting = -20 WHERE id = $1", a)
            let reverse = try ReversalFixture.job("NEG", reversesJob: post, on: connection)
            let tally = try #require(try Store.run(reverse, on: connection))
            #expect(tally.reimbursements == 1)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1",
                                   reverse, on: connection) == ["A|invalid_data"])
            #expect(try connection.queryValue(
                String.self, "SELECT settled_amount::text FROM customer_transaction WHERE id = $1", a) == "-20.000000")
        }
    }

    /// Two reverse jobs of the same reimbursements run at once on two sessions: each
    /// reimbursement is reversed exactly once; the other job says `already_reversed`.
    @Test func twoSessionsReverseTheSameReimbursementsAtOnce() async throws {
        let database = try await TestServer.database()
        let (first, second) = try await database.withConnection { connection -> (Int64, Int64) in
            try LedgerFixture.company("TWO", on: connection)
            for index in 1...40 {
                let account = "C\(index)"
                try LedgerFixture.customer("TWO", account, on: connection)
                try LedgerFixture.transaction("TWO", account, amount: "-\(index).25", accounting: "-\(index).5",
                                              ledgerAccount: index % 2 == 0 ? "1200" : "1300", on: connection)
            }
            let post = try LedgerFixture.job("TWO", summarize: false, on: connection)
            try Store.run(post, on: connection)
            return (try ReversalFixture.job("TWO", reversesJob: post, on: connection),
                    try ReversalFixture.job("TWO", reversesJob: post, reason: "twice by mistake", on: connection))
        }
        // One running job per company (reimbursement_job_one_running_per_company): the
        // session that loses the claim race gets that error and its job stays queued; it is
        // then run once the other is done, and must find everything already reversed.
        async let one: String = database.withNewConnection { connection in
            do { return "\(try Store.runner(connection, chunkSize: 3).runQueuedJob(id: first))" } catch { return "\(error)" }
        }
        async let two: String = database.withNewConnection { connection in
            do { return "\(try Store.runner(connection, chunkSize: 5).runQueuedJob(id: second))" } catch { return "\(error)" }
        }
        let outcomes = try await [one, two]
        try await database.withConnection { connection in
            for job in [first, second] where try Store.state(of: job, on: connection) == "queued" {
                try Store.run(job, on: connection)
            }
            #expect(try Store.state(of: first, on: connection) == "succeeded", "\(outcomes)")
            #expect(try Store.state(of: second, on: connection) == "succeeded", "\(outcomes)")
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal WHERE company_id = 'TWO'",
                                    on: connection) == 40)
            #expect(try Store.count("""
                SELECT count(*) FROM reimbursement_skip WHERE company_id = 'TWO' AND reason = 'already_reversed'
                """, on: connection) == 40)
            #expect(try ReversalFixture.openBalances("TWO", on: connection).count == 40)
            try Self.ledgerIsSound("TWO", on: connection)
        }
    }

    /// Ids of another company, NULL, duplicates, an empty list, and a reversed job of another
    /// company: refused at INSERT by a named constraint, or reversed once.
    @Test func hostileIdentifierLists() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            for company in ["MINE", "THEIRS"] {
                try LedgerFixture.company(company, on: connection)
                try LedgerFixture.customer(company, "C1", on: connection)
                try LedgerFixture.transaction(company, "C1", amount: "-9.99", on: connection)
            }
            let mine = try LedgerFixture.job("MINE", on: connection)
            let theirs = try LedgerFixture.job("THEIRS", on: connection)
            try Store.run(mine, on: connection)
            try Store.run(theirs, on: connection)
            let myID = try Self.reimbursementIDs("MINE", job: mine, on: connection)[0]
            let theirID = try Self.reimbursementIDs("THEIRS", job: theirs, on: connection)[0]

            func refused(_ sql: String, _ parameters: any PostgresEncodable...) -> String? {
                do {
                    _ = try connection.execute(sql, parameters: parameters)
                    return nil
                } catch let error as PostgresError {
                    return error.constraintName ?? error.message
                } catch { return "\(error)" }
            }
            let insert = """
                INSERT INTO reimbursement_job (company_id, operation, reverses_reimbursement_ids, reverses_job_id,
                                               reversal_reason, posting_date)
                VALUES ('MINE', 'reverse', $1::bigint[], $2::bigint, 'x', '2026-11-30')
                """
            #expect(refused(insert, [theirID], Int64?.none) == "reimbursement_job_reverses_reimbursements_exist")
            #expect(refused(insert, [myID, theirID], Int64?.none) == "reimbursement_job_reverses_reimbursements_exist")
            #expect(refused(insert, Int64?.none, theirs) == "reimbursement_job_reverses_fk")
            #expect(refused(insert, "{}", Int64?.none) == "reimbursement_job_reversed_ids_not_empty")
            #expect(refused(insert, "{NULL}", Int64?.none) != nil)
            #expect(refused(insert, "{\(myID),NULL}", Int64?.none) != nil)
            #expect(refused(insert, "{{\(myID)}}", Int64?.none) != nil)
            #expect(refused(insert, "[0:0]={\(myID)}", Int64?.none) != nil)
            #expect(refused(insert, [myID], mine) == "reimbursement_job_reversal_names_one_target")
            #expect(refused("""
                INSERT INTO reimbursement_job (company_id, operation, reverses_reimbursement_ids, reversal_reason)
                VALUES ('MINE', 'reverse', $1::bigint[], '   ')
                """, [myID]) == "reimbursement_job_reversal_reason_present")
            // A reason of only a tab and a line feed is as blank as spaces: btrim() trims spaces only.
            #expect(refused("""
                INSERT INTO reimbursement_job (company_id, operation, reverses_reimbursement_ids, reversal_reason)
                VALUES ('MINE', 'reverse', $1::bigint[], E' \\t\\n ')
                """, [myID]) == "reimbursement_job_reversal_reason_present")
            try connection.execute("DELETE FROM reimbursement_job WHERE company_id = 'MINE' AND operation = 'reverse'")

            let duplicates = try ReversalFixture.job("MINE", ids: [myID, myID, myID], on: connection)
            let tally = try #require(try Store.run(duplicates, on: connection))
            #expect(tally.reimbursements == 1)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal WHERE company_id = 'MINE'",
                                    on: connection) == 1)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal WHERE company_id = 'THEIRS'",
                                    on: connection) == 0)
            try Self.ledgerIsSound("MINE", on: connection)
            try Self.ledgerIsSound("THEIRS", on: connection)
        }
    }

    /// A reason full of control characters and terminal escapes is stored verbatim (it is the
    /// auditor's text) and the reversal posts.
    @Test func hostileReasonIsKeptVerbatim() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("RSN", on: connection)
            try LedgerFixture.customer("RSN", "C1", on: connection)
            try LedgerFixture.transaction("RSN", "C1", amount: "-1.00", on: connection)
            let post = try LedgerFixture.job("RSN", on: connection)
            try Store.run(post, on: connection)
            let reason = "oops\u{1B}[2J\r\n\"quoted\",\u{7}'; DROP TABLE x;--\u{202E}"
            let reverse = try ReversalFixture.job("RSN", reversesJob: post, reason: reason, on: connection)
            #expect(try Store.run(reverse, on: connection)?.reimbursements == 1)
            #expect(try connection.queryValue(String.self, "SELECT reason FROM reimbursement_reversal") == reason)
        }
    }

    /// A credit whose accounting amount is a zero residue: reimbursed with accounting 0, and
    /// the reversal reopens it with accounting 0 too; the voucher stays balanced.
    @Test func zeroAccountingResidueReversesExactly() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("ZR", on: connection)
            try LedgerFixture.customer("ZR", "C1", currency: "EUR", on: connection)
            let credit = try LedgerFixture.transaction(
                "ZR", "C1", amount: "-0.01", accounting: "-0.02", currency: "EUR", settled: "0",
                settledAccounting: "-0.02", on: connection)
            let before = try ReversalFixture.openBalances("ZR", on: connection)
            let post = try LedgerFixture.job("ZR", on: connection)
            #expect(try Store.run(post, on: connection)?.reimbursements == 1)
            let reverse = try ReversalFixture.job("ZR", reversesJob: post, on: connection)
            #expect(try Store.run(reverse, on: connection)?.reimbursements == 1)
            #expect(try ReversalFixture.openBalances("ZR", on: connection) == before)
            #expect(try Store.rows(
                "SELECT settled_amount, settled_amount_accounting FROM customer_transaction WHERE id = $1",
                credit, on: connection) == ["0.000000|-0.020000"])
            try Self.ledgerIsSound("ZR", on: connection)
            #expect(try Store.rows(
                "SELECT DISTINCT status FROM reimbursement_report WHERE company_id = 'ZR'", on: connection) == ["reversed"])
        }
    }

    /// A vendor invoice paid after the reversal preview and before its approval: the approval
    /// leaves it alone (`vendor_invoice_paid`), reverses the other, and the paid one keeps its
    /// invoice paid (the report says `paid`).
    @Test func anInvoicePaidBetweenPreviewAndApprovalIsNotReversed() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("PAP", on: connection)
            for account in ["A", "B"] {
                try LedgerFixture.customer("PAP", account, on: connection)
                try LedgerFixture.transaction("PAP", account, amount: "-12.00", on: connection)
            }
            let post = try LedgerFixture.job("PAP", on: connection)
            try Store.run(post, on: connection)
            let preview = try ReversalFixture.job("PAP", reversesJob: post, mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_reversal_proposal WHERE job_id = $1",
                                    preview, on: connection) == 2)
            try connection.execute("""
                UPDATE vendor_invoice SET settled_amount = amount
                 WHERE company_id = 'PAP' AND reimbursement_id = (SELECT id FROM reimbursement WHERE customer_account = 'A')
                """)
            let approve = try ReversalFixture.job("PAP", approves: preview, on: connection)
            #expect(try Store.run(approve, on: connection)?.reimbursements == 1)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1",
                                   approve, on: connection) == ["A|vendor_invoice_paid"])
            #expect(try Store.rows("""
                SELECT customer_account, status FROM reimbursement_report WHERE company_id = 'PAP' ORDER BY 1
                """, on: connection) == ["A|paid", "B|reversed"])
            try Self.ledgerIsSound("PAP", on: connection)
        }
    }

    /// The original posted in the future and the reversal's date left to the company's today:
    /// the INSERT cannot know, the job skips it `invalid_data` and posts nothing before it.
    @Test func anOriginalPostedAfterTheReversalDateIsLeftAlone() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("FUT", on: connection)
            try LedgerFixture.customer("FUT", "C1", on: connection)
            try LedgerFixture.transaction("FUT", "C1", amount: "-3.00", on: connection)
            let post = try LedgerFixture.job("FUT", postingDate: "2999-01-01", on: connection)
            try Store.run(post, on: connection)
            let reverse = try ReversalFixture.job("FUT", reversesJob: post, postingDate: nil, on: connection)
            #expect(try Store.run(reverse, on: connection)?.reimbursements == 0)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", reverse, on: connection)
                    == ["invalid_data"])
            #expect(try Store.count("SELECT count(*) FROM ledger_entry WHERE company_id = 'FUT' AND posting_date < '2999-01-01'",
                                    on: connection) == 0)
            try Self.ledgerIsSound("FUT", on: connection)
        }
    }

    /// A netted reimbursement in a foreign currency (exchange difference line), reversed, then
    /// reimbursed again: debits and credits reopen exactly, every voucher balances, the rerun
    /// nets again with new numbers and nothing is counted twice.
    @Test func nettedForeignCurrencyReversedThenNettedAgain() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("NFX", on: connection)
            try connection.execute("UPDATE company SET exchange_difference_account = '7800' WHERE id = 'NFX'")
            try LedgerFixture.customer("NFX", "C1", on: connection)
            try LedgerFixture.transaction("NFX", "C1", amount: "-100.00", accounting: "-110.33", currency: "EUR",
                                          on: connection)
            try LedgerFixture.transaction("NFX", "C1", amount: "33.33", accounting: "35.01", currency: "EUR",
                                          ledgerAccount: "1300", on: connection)
            try LedgerFixture.transaction("NFX", "C1", amount: "10.00", accounting: "10.99", currency: "EUR",
                                          on: connection)
            let before = try ReversalFixture.openBalances("NFX", on: connection)
            let post = try LedgerFixture.job("NFX", debitHandling: "net", summarize: false, on: connection)
            let first = try #require(try Store.run(post, on: connection))
            let reverse = try ReversalFixture.job("NFX", reversesJob: post, on: connection)
            #expect(try Store.run(reverse, on: connection)?.reimbursements == first.reimbursements)
            #expect(try ReversalFixture.openBalances("NFX", on: connection) == before)
            try Self.ledgerIsSound("NFX", on: connection)
            let again = try LedgerFixture.job("NFX", debitHandling: "net", summarize: false, postingDate: "2026-12-01",
                                              on: connection)
            let second = try #require(try Store.run(again, on: connection))
            #expect(second.totals == first.totals)
            #expect(try Store.rows("""
                SELECT a.voucher FROM reimbursement a JOIN reimbursement b
                  ON b.company_id = a.company_id AND b.voucher = a.voucher AND b.id <> a.id
                 WHERE a.company_id = 'NFX'
                """, on: connection) == [])
            try Self.ledgerIsSound("NFX", on: connection)
        }
    }
}
