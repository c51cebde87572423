import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// The worked examples of PRODUCT.md §7 through the database: a `net` job enqueued by INSERT,
/// run by the library entry point, the rows an accountant sees read back, and `reimburse
/// verify` passing over them.
@Suite("Netting end to end")
struct NettingStoreTests {
    static func company(_ id: String, minimum: String = "0", on connection: PostgresConnection) throws {
        try LedgerFixture.company(id, minimum: minimum, on: connection)
        try connection.execute("UPDATE company SET exchange_difference_account = '7800' WHERE id = $1", id)
        try LedgerFixture.vendor(id, "V1", on: connection)
        try LedgerFixture.customer(id, "C1", vendorAccount: "V1", on: connection)
    }

    @discardableResult
    static func transaction(
        _ company: String, _ amount: String, accounting: String? = nil, currency: String = "USD",
        ledger: String = "1200", date: String, on connection: PostgresConnection
    ) throws -> Int64 {
        let id = try LedgerFixture.transaction(
            company, "C1", amount: amount, accounting: accounting, currency: currency, ledgerAccount: ledger, on: connection)
        try connection.execute("UPDATE customer_transaction SET transaction_date = $1::date WHERE id = $2", date, id)
        return id
    }

    static func settlements(_ company: String, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT kind, credit_transaction_id, debit_transaction_id, amount, amount_accounting,
                   coalesce(debit_amount_accounting::text, '-')
              FROM customer_settlement WHERE company_id = $1 ORDER BY id
            """, company, on: connection)
    }

    static func lines(_ company: String, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT account, posting_type, amount, amount_accounting FROM ledger_entry WHERE company_id = $1
             ORDER BY voucher, line
            """, company, on: connection)
    }

    static func open(_ company: String, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT id, amount - settled_amount, amount_accounting - settled_amount_accounting
              FROM customer_transaction WHERE company_id = $1 AND kind <> 'reimbursement' ORDER BY id
            """, company, on: connection)
    }

    static func verify(_ company: String, on connection: PostgresConnection) throws {
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        #expect(verification.passed, "\(verification.violations)")
        #expect(verification.checks.contains("netting_settles_both_sides"))
        #expect(verification.checks.contains("netting_matches_voucher"))
    }

    @Test func sameLedgerAccount() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NS", on: connection)
            let newer = try Self.transaction("NS", "-100", date: "2026-03-02", on: connection)
            let older = try Self.transaction("NS", "-50", date: "2026-03-01", on: connection)
            let invoice = try Self.transaction("NS", "70", date: "2026-03-05", on: connection)
            let job = try LedgerFixture.job("NS", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT amount, amount_accounting FROM reimbursement WHERE job_id = $1", job, on: connection)
                == ["80.000000|80.000000"])
            #expect(try Self.settlements("NS", on: connection) == [
                "reimbursement|\(newer)|\(invoice + 1)|80.000000|80.000000|-",
                "netting|\(older)|\(invoice)|50.000000|50.000000|50.000000",
                "netting|\(newer)|\(invoice)|20.000000|20.000000|20.000000",
            ])
            #expect(try Self.lines("NS", on: connection) == [
                "1200|customer_reimbursement|80.000000|80.000000", "2100|vendor_balance|-80.000000|-80.000000",
            ])
            #expect(try Self.open("NS", on: connection) == [
                "\(newer)|0.000000|0.000000", "\(older)|0.000000|0.000000", "\(invoice)|0.000000|0.000000",
            ])
            #expect(try Store.rows(
                "SELECT amount, netted_amount, netted_amount_accounting FROM reimbursement_report WHERE job_id = $1", job,
                on: connection) == ["80.000000|70.000000|70.000000"])
            try Self.verify("NS", on: connection)
            // The same data again: nothing left to do.
            let again = try LedgerFixture.job("NS", debitHandling: "net", on: connection)
            try Store.run(again, on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", again, on: connection) == 0)
        }
    }

    @Test func twoLedgerAccounts() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NT", on: connection)
            try Self.transaction("NT", "-100", ledger: "1200", date: "2026-03-01", on: connection)
            let invoice = try Self.transaction("NT", "30", ledger: "1300", date: "2026-03-02", on: connection)
            let job = try LedgerFixture.job("NT", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.lines("NT", on: connection) == [
                "1200|customer_reimbursement|70.000000|70.000000", "2100|vendor_balance|-70.000000|-70.000000",
                "1200|customer_netting|30.000000|30.000000", "1300|customer_netting|-30.000000|-30.000000",
            ])
            #expect(try Store.rows("SELECT settled_amount FROM customer_transaction WHERE id = $1", invoice, on: connection)
                == ["30.000000"])
            try Self.verify("NT", on: connection)
        }
    }

    @Test func aDebitLargerThanTheCreditsPostsNothing() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("ND", on: connection)
            try Self.transaction("ND", "-40", date: "2026-03-01", on: connection)
            try Self.transaction("ND", "100", date: "2026-03-02", on: connection)
            let job = try LedgerFixture.job("ND", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.count("SELECT count(*) FROM customer_settlement WHERE company_id = 'ND'", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM ledger_entry WHERE company_id = 'ND'", on: connection) == 0)
            #expect(try RuleTests.skips(job, on: connection) == ["C1|USD|below_minimum|0.000000|0.000000"])
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE company_id = 'ND' AND settled_amount <> 0", on: connection) == 0)
        }
    }

    @Test func aForeignCurrencyAtDifferentRatesGivesAnExchangeDifference() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NX", on: connection)
            // EUR 100 paid at 1.10 (USD 110); EUR 60 invoiced at 1.00 (USD 60).
            let credit = try Self.transaction("NX", "-100", accounting: "-110", currency: "EUR", date: "2026-03-01", on: connection)
            let invoice = try Self.transaction("NX", "60", accounting: "60", currency: "EUR", date: "2026-03-02", on: connection)
            let job = try LedgerFixture.job("NX", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            // 60 of the credit nets at 66 (its own rate) against 60 of the invoice: a gain of 6.
            #expect(try Self.settlements("NX", on: connection) == [
                "reimbursement|\(credit)|\(invoice + 1)|40.000000|44.000000|-",
                "netting|\(credit)|\(invoice)|60.000000|66.000000|60.000000",
            ])
            #expect(try Self.lines("NX", on: connection) == [
                "1200|customer_reimbursement|40.000000|44.000000", "2100|vendor_balance|-40.000000|-44.000000",
                "1200|exchange_difference|0.000000|6.000000", "7800|exchange_difference|0.000000|-6.000000",
            ])
            #expect(try Self.open("NX", on: connection) == ["\(credit)|0.000000|0.000000", "\(invoice)|0.000000|0.000000"])
            try Self.verify("NX", on: connection)
        }
    }

    @Test func summarizeFalse() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NF", on: connection)
            try Self.transaction("NF", "-100", ledger: "1200", date: "2026-03-01", on: connection)
            try Self.transaction("NF", "30", ledger: "1200", date: "2026-03-01", on: connection)
            try Self.transaction("NF", "-50", ledger: "1300", date: "2026-03-01", on: connection)
            try Self.transaction("NF", "10", ledger: "1300", date: "2026-03-01", on: connection)
            let elsewhere = try Self.transaction("NF", "500", ledger: "1400", date: "2026-03-01", on: connection)
            let job = try LedgerFixture.job("NF", debitHandling: "net", summarize: false, on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows(
                "SELECT amount, netted_amount FROM reimbursement_report WHERE job_id = $1 ORDER BY voucher", job,
                on: connection) == ["70.000000|30.000000", "40.000000|10.000000"])
            #expect(try Store.rows("SELECT settled_amount FROM customer_transaction WHERE id = $1", elsewhere, on: connection)
                == ["0.000000"])
            try Self.verify("NF", on: connection)
        }
    }

    @Test func aPreviewApprovedAfterANewInvoiceArrivedIsChangedSincePreview() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NP", on: connection)
            try Self.transaction("NP", "-100", date: "2026-03-01", on: connection)
            let invoice = try Self.transaction("NP", "30", date: "2026-03-02", on: connection)
            let preview = try LedgerFixture.job("NP", mode: "preview", debitHandling: "net", on: connection)
            try Store.run(preview, on: connection)
            #expect(try Store.rows("""
                SELECT amount, netted_amount, netted_amount_accounting, netted_debit_ids, open_debit_ids
                  FROM reimbursement_proposal WHERE job_id = $1
                """, preview, on: connection) == ["70.000000|30.000000|30.000000|{\(invoice)}|{\(invoice)}"])
            // A new invoice on another ledger account (which summarize=true nets too) after the preview.
            let later = try Self.transaction("NP", "5", ledger: "1300", date: "2026-03-20", on: connection)
            // The approving row says skip: the preview's debit handling is what is approved.
            let approval = try LedgerFixture.job("NP", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", approval, on: connection) == 0)
            let detail = try Store.rows(
                "SELECT reason, detail FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
            #expect(detail == ["changed_since_preview|the open USD debits changed since the preview: it saw 30.00 "
                + "(debit \(invoice)), open now 35.00 (debits \(invoice), \(later))"])
            // Unchanged since a new preview: the approval posts it.
            let second = try LedgerFixture.job("NP", mode: "preview", debitHandling: "net", on: connection)
            try Store.run(second, on: connection)
            let posting = try LedgerFixture.job("NP", approves: second, on: connection)
            try Store.run(posting, on: connection)
            #expect(try Store.rows("SELECT amount, netted_amount FROM reimbursement_report WHERE job_id = $1", posting,
                on: connection) == ["65.000000|35.000000"])
            try Self.verify("NP", on: connection)
        }
    }

    @Test func aNetJobWithoutAnExchangeDifferenceAccountFailsAtStart() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NE", on: connection)
            try connection.execute("UPDATE company SET exchange_difference_account = NULL WHERE id = 'NE'")
            try Self.transaction("NE", "-100", date: "2026-03-01", on: connection)
            let job = try LedgerFixture.job("NE", debitHandling: "net", on: connection)
            let failure = #expect(throws: JobFailure.self) {
                _ = try Store.runner(connection).runQueuedJob(id: job)
            }
            #expect(failure?.description.contains("company NE has no exchange_difference_account") == true)
            #expect(try Store.state(of: job, on: connection) == "failed")
            // A skip job of the same company does not need it.
            let skip = try LedgerFixture.job("NE", on: connection)
            try Store.run(skip, on: connection)
        }
    }

    /// PRODUCT.md §8: a reversal opens again every transaction the reimbursement settled, the
    /// netted debits too, by exactly what it settled in both currencies, and mirrors every line
    /// of the voucher (netting transfer and exchange difference included).
    @Test func aReversalReopensTheNettedDebits() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.company("NR", on: connection)
            try Self.transaction("NR", "-100", accounting: "-110", currency: "EUR", date: "2026-03-01", on: connection)
            try Self.transaction("NR", "25", accounting: "25", currency: "EUR", ledger: "1300", date: "2026-03-02", on: connection)
            try Self.transaction("NR", "35", accounting: "36", currency: "EUR", date: "2026-03-03", on: connection)
            let before = try ReversalFixture.openBalances("NR", on: connection)
            let openBefore = try Self.open("NR", on: connection)
            let job = try LedgerFixture.job("NR", debitHandling: "net", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.count(
                "SELECT count(*) FROM customer_settlement WHERE company_id = 'NR' AND kind = 'netting'", on: connection) == 2)
            #expect(try Store.count(
                "SELECT count(*) FROM ledger_entry WHERE company_id = 'NR' AND posting_type = 'customer_netting'",
                on: connection) >= 2)
            let reversal = try ReversalFixture.job("NR", reversesJob: job, postingDate: nil, on: connection)
            try Store.run(reversal, on: connection)
            #expect(try Store.state(of: reversal, on: connection) == "succeeded")
            #expect(try ReversalFixture.openBalances("NR", on: connection) == before)
            #expect(try Self.open("NR", on: connection).filter { !$0.hasSuffix("|0.000000|0.000000") }
                    == openBefore.filter { !$0.hasSuffix("|0.000000|0.000000") })
            // Every line of the original, netting and exchange lines included, mirrored.
            #expect(try Store.rows("""
                SELECT o.posting_type || '|' || o.account FROM ledger_entry o
                 WHERE o.company_id = 'NR' AND o.reversal_id IS NULL
                   AND NOT EXISTS (SELECT 1 FROM ledger_entry m
                                    WHERE m.company_id = o.company_id AND m.reversal_id IS NOT NULL
                                      AND m.reimbursement_id = o.reimbursement_id AND m.account = o.account
                                      AND m.posting_type = o.posting_type AND m.amount = -o.amount
                                      AND m.amount_accounting = -o.amount_accounting)
                """, on: connection) == [])
            try Self.verify("NR", on: connection)
        }
    }
}
