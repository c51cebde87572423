import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Issue 11, kinds 1, 2, 3, 5 and 6, against the database: the inputs of the issue, run by the
/// library entry point, with the ledger checked by PostingAudit and by `reimburse verify`'s
/// LedgerVerifier.
@Suite("The money path against real data")
struct MoneyPathTests {
    static func expectVerified(_ company: String, on connection: PostgresConnection,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        try PostingAudit.expectConsistent(company: company, on: connection, sourceLocation: sourceLocation)
        let verification = try LedgerVerifier(connection: connection).verify(companyID: company)
        #expect(verification.passed, "\(verification.violations)", sourceLocation: sourceLocation)
    }

    static func skipsWithDetail(_ job: Int64, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT customer_account, currency, reason, credit_balance, credit_balance_accounting, detail
              FROM reimbursement_skip WHERE job_id = $1 ORDER BY customer_account, currency NULLS FIRST
            """, job, on: connection)
    }

    // MARK: kind 1, byte-exact codes

    /// Customers U&'CAF\00C9' ("Cafe Roma") and U&'CAFE\0301' ("Cafe Lyon"), credits -100 and
    /// -40 EUR: two reimbursements to two new one-time vendors, each settling its own credit.
    @Test func unicodeEqualCustomersAreTwoCustomers() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("UNI", currency: "EUR", on: connection)
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, currency)
                VALUES ('UNI', U&'CAF\\00C9', 'Cafe Roma', 'EUR'), ('UNI', U&'CAFE\\0301', 'Cafe Lyon', 'EUR')
                """)
            let roma = try LedgerFixture.transaction("UNI", "CAF\u{C9}", amount: "-100", currency: "EUR", on: connection)
            let lyon = try LedgerFixture.transaction("UNI", "CAFE\u{301}", amount: "-40", currency: "EUR", on: connection)
            let job = try LedgerFixture.job("UNI", on: connection)
            let tally = try Store.run(job, on: connection)
            #expect(tally?.reimbursedCustomers == 2)

            // Byte order (the test cluster's C locale): 'E' (0x45) before 'É' (0xC3 0x89).
            #expect(try Store.rows("""
                SELECT encode(convert_to(r.customer_account, 'UTF8'), 'hex'), r.vendor_account, r.amount,
                       v.name, encode(convert_to(v.customer_account, 'UTF8'), 'hex'), s.credit_transaction_id
                  FROM reimbursement r
                  JOIN vendor v ON v.company_id = r.company_id AND v.account = r.vendor_account
                  JOIN customer_settlement s ON s.company_id = r.company_id AND s.reimbursement_id = r.id
                 WHERE r.job_id = $1 ORDER BY r.customer_account
                """, job, on: connection) == [
                    "43414645cc81|OTV-00000001|40.000000|Cafe Lyon|43414645cc81|\(lyon)",
                    "434146c389|OTV-00000002|100.000000|Cafe Roma|434146c389|\(roma)",
                ])
            #expect(try Store.result(of: job, on: connection)?.total("EUR") == Money("140"))
            try Self.expectVerified("UNI", on: connection)
        }
    }

    /// Two credits of one customer on ledger accounts U&'1200-\00C9' and U&'1200-E\0301': two
    /// debit transactions and two debit lines, never one.
    @Test func unicodeEqualLedgerAccountsAreTwoDebitLines() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("UNL", on: connection)
            try LedgerFixture.customer("UNL", "C-1", on: connection)
            try LedgerFixture.transaction("UNL", "C-1", amount: "-100", ledgerAccount: "1200-\u{C9}", on: connection)
            try LedgerFixture.transaction("UNL", "C-1", amount: "-40", ledgerAccount: "1200-E\u{301}", on: connection)
            #expect(try Store.count(
                "SELECT count(DISTINCT ledger_account) FROM customer_transaction WHERE company_id = 'UNL'",
                on: connection) == 2)
            let job = try LedgerFixture.job("UNL", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("""
                SELECT line, encode(convert_to(account, 'UTF8'), 'hex'), posting_type, amount
                  FROM ledger_entry WHERE company_id = 'UNL' ORDER BY line
                """, on: connection) == [
                    "1|313230302d45cc81|customer_reimbursement|40.000000",
                    "2|313230302dc389|customer_reimbursement|100.000000",
                    "3|32313030|vendor_balance|-140.000000",
                ])
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE company_id = 'UNL' AND kind = 'reimbursement'",
                on: connection) == 2)
            try Self.expectVerified("UNL", on: connection)
        }
    }

    // MARK: kind 2, the approved payee

    /// C-1 with vendor V-1, credit -50; preview; the vendor is changed to V-2 (an existing
    /// vendor); approve: nothing posted for C-1, changed_since_preview naming V-1 and V-2.
    @Test func aVendorChangedAfterThePreviewIsNotPaid() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("PAY", on: connection)
            try LedgerFixture.vendor("PAY", "V-1", on: connection)
            try LedgerFixture.vendor("PAY", "V-2", on: connection)
            try LedgerFixture.customer("PAY", "C-1", vendorAccount: "V-1", on: connection)
            try LedgerFixture.transaction("PAY", "C-1", amount: "-50", on: connection)
            // Unchanged, for contrast: it posts.
            try LedgerFixture.customer("PAY", "C-2", vendorAccount: "V-1", on: connection)
            try LedgerFixture.transaction("PAY", "C-2", amount: "-20", on: connection)
            let preview = try LedgerFixture.job("PAY", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            try connection.execute("UPDATE customer SET vendor_account = 'V-2' WHERE company_id = 'PAY' AND account = 'C-1'")

            let approval = try LedgerFixture.job("PAY", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try RuleTests.reimbursements(approval, on: connection) == ["C-2|V-1|f|USD|20.000000|20.000000"])
            #expect(try Store.count(
                "SELECT count(*) FROM vendor_invoice WHERE company_id = 'PAY' AND vendor_account = 'V-2'",
                on: connection) == 0)
            let skips = try Self.skipsWithDetail(approval, on: connection)
            #expect(skips.count == 1)
            #expect(skips.first?.hasPrefix("C-1|USD|changed_since_preview|50.000000|50.000000|") == true, "\(skips)")
            #expect(skips.first?.contains("vendor V-1") == true && skips.first?.contains("vendor V-2") == true, "\(skips)")
            let result = try #require(try Store.result(of: approval, on: connection))
            #expect(result.skipped("changed_since_preview") == 1 && result.reimbursed == 1)
            try Self.expectVerified("PAY", on: connection)
        }
    }

    /// The variant: the preview proposed a new one-time vendor, and the customer was linked to
    /// a vendor since: changed_since_preview. A one-time vendor of the same customer created
    /// since the preview is the same payee: posted to it.
    @Test func aOneTimeProposalIsNotPaidToAVendorLinkedSince() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("PAY", on: connection)
            try LedgerFixture.vendor("PAY", "V-2", on: connection)
            try LedgerFixture.customer("PAY", "C-1", on: connection)
            try LedgerFixture.transaction("PAY", "C-1", amount: "-50", on: connection)
            try LedgerFixture.customer("PAY", "C-3", on: connection)
            try LedgerFixture.transaction("PAY", "C-3", amount: "-30", on: connection)
            let preview = try LedgerFixture.job("PAY", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement_proposal WHERE job_id = $1 AND vendor_account IS NULL", preview,
                on: connection) == 2)
            try connection.execute("UPDATE customer SET vendor_account = 'V-2' WHERE company_id = 'PAY' AND account = 'C-1'")
            try LedgerFixture.vendor("PAY", "OTV-C3", oneTimeFor: "C-3", on: connection)

            let approval = try LedgerFixture.job("PAY", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try RuleTests.reimbursements(approval, on: connection) == ["C-3|OTV-C3|f|USD|30.000000|30.000000"])
            let skips = try Self.skipsWithDetail(approval, on: connection)
            #expect(skips.count == 1)
            #expect(skips.first?.hasPrefix("C-1|USD|changed_since_preview|") == true, "\(skips)")
            #expect(skips.first?.contains("a new one-time vendor") == true && skips.first?.contains("V-2") == true,
                    "\(skips)")
            try Self.expectVerified("PAY", on: connection)
        }
    }

    // MARK: kind 3, credits gone at approval

    @Test func anApprovalWhoseCreditsAreGoneCountsNoCreditBalance() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("GONE", on: connection)
            try LedgerFixture.customer("GONE", "C-1", on: connection)
            let credit = try LedgerFixture.transaction("GONE", "C-1", amount: "-50", on: connection)
            let preview = try LedgerFixture.job("GONE", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            // Settled elsewhere (the ERP's own settlement).
            try connection.execute(
                "UPDATE customer_transaction SET settled_amount = amount, settled_amount_accounting = amount_accounting WHERE id = $1",
                credit)
            let approval = try LedgerFixture.job("GONE", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Self.skipsWithDetail(approval, on: connection) == [])
            let result = try #require(try Store.result(of: approval, on: connection))
            #expect(result.selected == 1 && result.noCreditBalance == 1 && result.reimbursements == 0)
            #expect(result.skipped.values.allSatisfy { $0 == 0 })
        }
    }

    // MARK: kind 5, invalid_data

    /// Two good customers, then one whose sum overflows numeric(24,6) (two credits of
    /// -999999999999999999.999999), then another good one, all in one chunk: the bad one is
    /// invalid_data naming its transactions, the others are posted, the job succeeds.
    @Test func aCustomerWhoseSumDoesNotFitIsInvalidDataAndTheOthersPost() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("OVER", on: connection)
            for account in ["C1", "C2"] {
                try LedgerFixture.customer("OVER", account, on: connection)
                try LedgerFixture.transaction("OVER", account, amount: "-10", on: connection)
            }
            try LedgerFixture.customer("OVER", "C3-HUGE", on: connection)
            let first = try LedgerFixture.transaction(
                "OVER", "C3-HUGE", amount: "-999999999999999999.999999", on: connection)
            let second = try LedgerFixture.transaction(
                "OVER", "C3-HUGE", amount: "-999999999999999999.999999", on: connection)
            try LedgerFixture.customer("OVER", "C4", on: connection)
            try LedgerFixture.transaction("OVER", "C4", amount: "-10", on: connection)
            let job = try LedgerFixture.job("OVER", on: connection)

            let tally = try Store.run(job, chunkSize: 10, on: connection)
            #expect(tally?.reimbursedCustomers == 3)
            #expect(try Store.rows("SELECT state, last_error FROM reimbursement_job WHERE id = $1", job, on: connection)
                == ["succeeded|NULL"])
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
                == ["C1", "C2", "C4"])
            let skips = try Self.skipsWithDetail(job, on: connection)
            #expect(skips.count == 1)
            let skip = skips.first ?? ""
            #expect(skip.hasPrefix("C3-HUGE|NULL|invalid_data|NULL|NULL|"), "\(skip)")
            #expect(skip.contains("credits \(first), \(second)") && skip.contains("1999999999999999999.999998")
                    && skip.contains("does not fit"), "\(skip)")
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 4 && result.reimbursed == 3 && result.skipped("invalid_data") == 1)
            #expect(result.total("USD") == Money("30"))
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE customer_account = 'C3-HUGE' AND settled_amount <> 0",
                on: connection) == 0)
            try Self.expectVerified("OVER", on: connection)
        }
    }

    /// A constraint the database holds on one customer's rows (here an ERP's own rule on vendor
    /// names, hit by the one-time vendor of one customer): that customer is invalid_data naming
    /// the constraint and its credit, the rest of the chunk is posted, the numbers stay gap-free.
    @Test func aRowTheDatabaseRefusesMakesOnlyItsCustomerInvalidData() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("REF", on: connection)
            try connection.execute("ALTER TABLE vendor ADD CONSTRAINT erp_vendor_name_length CHECK (length(name) <= 20)")
            try LedgerFixture.customer("REF", "C1", on: connection)
            try LedgerFixture.transaction("REF", "C1", amount: "-10", on: connection)
            try LedgerFixture.customer("REF", "C2-WITH-A-LONG-NAME", on: connection)
            let refused = try LedgerFixture.transaction("REF", "C2-WITH-A-LONG-NAME", amount: "-20", on: connection)
            try LedgerFixture.customer("REF", "C3", on: connection)
            try LedgerFixture.transaction("REF", "C3", amount: "-30", on: connection)
            let job = try LedgerFixture.job("REF", on: connection)
            try Store.run(job, chunkSize: 10, on: connection)
            #expect(try RuleTests.reimbursements(job, on: connection) == [
                "C1|OTV-00000001|t|USD|10.000000|10.000000",
                "C3|OTV-00000002|t|USD|30.000000|30.000000",
            ])
            let skips = try Self.skipsWithDetail(job, on: connection)
            #expect(skips.count == 1)
            #expect(skips.first?.hasPrefix("C2-WITH-A-LONG-NAME|NULL|invalid_data|NULL|20.000000|") == true, "\(skips)")
            #expect(skips.first?.contains("erp_vendor_name_length") == true
                    && skips.first?.contains("credit \(refused)") == true, "\(skips)")
            #expect(try Store.result(of: job, on: connection)?.skipped("invalid_data") == 1)
            try Self.expectVerified("REF", on: connection)
        }
    }

    /// A row the loader cannot read (an amount of NaN, from before the schema refused it) makes
    /// its customer invalid_data; the others are posted.
    @Test func anUnreadableTransactionMakesOnlyItsCustomerInvalidData() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("NAN", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("NAN", account, on: connection)
                try LedgerFixture.transaction("NAN", account, amount: "-10", on: connection)
            }
            // Legacy data: drop the table's checks in this throwaway database, as if the row
            // had been loaded before they existed.
            try connection.executeScript("""
                DO $$
                DECLARE c text;
                BEGIN
                    FOR c IN SELECT conname FROM pg_constraint
                              WHERE conrelid = 'customer_transaction'::regclass AND contype = 'c' LOOP
                        EXECUTE format('ALTER TABLE customer_transaction DROP CONSTRAINT %I', c);
                    END LOOP;
                END $$;
                """)
            let broken = try LedgerFixture.transaction("NAN", "C2", amount: "NaN", on: connection)
            let job = try LedgerFixture.job("NAN", on: connection)
            try Store.run(job, chunkSize: 10, on: connection)
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection) == ["C1", "C3"])
            let skips = try Self.skipsWithDetail(job, on: connection)
            #expect(skips.count == 1)
            #expect(skips.first?.hasPrefix("C2|NULL|invalid_data|NULL|NULL|transaction \(broken) cannot be read") == true,
                    "\(skips)")
        }
    }

    // MARK: kind 6, zero accounting residues

    /// Company in USD, minimum 0: a credit -10.00 EUR / -10.80 USD settled -9.99 EUR / -10.80 USD
    /// (0.01 EUR open, 0.00 USD), and a credit -10 EUR / -11 USD settled 0 EUR / -11 USD, are
    /// reimbursed with amount_accounting 0.00 and vouchers balanced in both columns.
    @Test func zeroAccountingResiduesAreReimbursedWithZero() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("RES", on: connection)
            try LedgerFixture.customer("RES", "R1", on: connection)
            try LedgerFixture.transaction(
                "RES", "R1", amount: "-10.00", accounting: "-10.80", currency: "EUR", settled: "-9.99",
                settledAccounting: "-10.80", on: connection)
            try LedgerFixture.customer("RES", "R2", on: connection)
            try LedgerFixture.transaction(
                "RES", "R2", amount: "-10", accounting: "-11", currency: "EUR", settled: "0",
                settledAccounting: "-11", on: connection)
            try LedgerFixture.customer("RES", "R3", on: connection)
            try LedgerFixture.transaction("RES", "R3", amount: "-5", on: connection)
            let job = try LedgerFixture.job("RES", on: connection)
            try Store.run(job, on: connection)
            #expect(try RuleTests.reimbursements(job, on: connection) == [
                "R1|OTV-00000001|t|EUR|0.010000|0.000000",
                "R2|OTV-00000002|t|EUR|10.000000|0.000000",
                "R3|OTV-00000003|t|USD|5.000000|5.000000",
            ])
            #expect(try Store.rows("""
                SELECT r.customer_account, vi.amount, vi.amount_accounting,
                       (SELECT sum(amount) || '/' || sum(amount_accounting) FROM ledger_entry l
                         WHERE l.company_id = r.company_id AND l.voucher = r.voucher)
                  FROM reimbursement r JOIN vendor_invoice vi ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id
                 WHERE r.job_id = $1 ORDER BY 1
                """, job, on: connection) == [
                    "R1|0.010000|0.000000|0.000000/0.000000",
                    "R2|10.000000|0.000000|0.000000/0.000000",
                    "R3|5.000000|5.000000|0.000000/0.000000",
                ])
            #expect(try Store.rows("""
                SELECT customer_account, settled_amount, settled_amount_accounting FROM customer_transaction
                 WHERE company_id = 'RES' AND amount < 0 ORDER BY 1
                """, on: connection) == ["R1|-10.000000|-10.800000", "R2|-10.000000|-11.000000", "R3|-5.000000|-5.000000"])
            #expect(try Store.state(of: job, on: connection) == "succeeded")
            try Self.expectVerified("RES", on: connection)
        }
    }

    /// With a positive minimum the residues are below_minimum with credit_balance_accounting 0.
    @Test func zeroAccountingResiduesAreBelowAPositiveMinimum() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("RES", minimum: "5", on: connection)
            try LedgerFixture.customer("RES", "R1", on: connection)
            try LedgerFixture.transaction(
                "RES", "R1", amount: "-10.00", accounting: "-10.80", currency: "EUR", settled: "-9.99",
                settledAccounting: "-10.80", on: connection)
            try LedgerFixture.customer("RES", "R2", on: connection)
            try LedgerFixture.transaction(
                "RES", "R2", amount: "-10", accounting: "-11", currency: "EUR", settled: "0",
                settledAccounting: "-11", on: connection)
            let job = try LedgerFixture.job("RES", on: connection)
            try Store.run(job, on: connection)
            #expect(try RuleTests.skips(job, on: connection) == [
                "R1|EUR|below_minimum|0.010000|0.000000",
                "R2|EUR|below_minimum|10.000000|0.000000",
            ])
            #expect(try Store.result(of: job, on: connection)?.skipped("below_minimum") == 2)
        }
    }
}
