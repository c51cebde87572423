import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Adversarial review of payment runs (PRODUCT.md section 9, issue 17): each attack on the money
/// path or on the documents, kept as a regression test. Breaks against the contract are wrapped
/// in `withKnownIssue` and named in the report.
@Suite("Attack: payment runs")
struct AttackPaymentTests {
    static func vendorOf(_ company: String, _ customer: String, on connection: PostgresConnection) throws -> String {
        try connection.queryValue(String.self, """
            SELECT vendor_account FROM reimbursement WHERE company_id = $1 AND customer_account = $2
            """, company, customer)!
    }

    /// Every payment voucher balances in both columns and names one payment; each invoice is
    /// paid at most once; `verify` is clean.
    static func expectPaymentLedgerSound(_ company: String, on connection: PostgresConnection,
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try Store.rows("""
            SELECT voucher, sum(amount), sum(amount_accounting) FROM ledger_entry
             WHERE company_id = $1 AND vendor_payment_id IS NOT NULL
             GROUP BY voucher HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0 OR count(*) <> 2
            """, company, on: connection) == [], sourceLocation: sourceLocation)
        #expect(try Store.rows("""
            SELECT vendor_invoice_id FROM vendor_payment WHERE company_id = $1 AND NOT preview
             GROUP BY vendor_invoice_id HAVING count(*) > 1
            """, company, on: connection) == [], sourceLocation: sourceLocation)
        #expect(try Store.rows("""
            SELECT p.id FROM vendor_payment p JOIN vendor_invoice i ON i.company_id = p.company_id AND i.id = p.vendor_invoice_id
             WHERE p.company_id = $1 AND NOT p.preview AND (p.amount <> i.amount OR i.settled_amount <> i.amount)
            """, company, on: connection) == [], sourceLocation: sourceLocation)
        try PaymentLedger.expectVerified(company, on: connection, sourceLocation: sourceLocation)
    }

    // MARK: - Payee fraud: the creditor account changes between preview and approval

    /// BREAK. The vendor's BIC changes after the preview (same IBAN). Outside SEPA the bank
    /// routes by BIC, so the creditor bank account changed: the approval must skip the invoice
    /// `changed_since_preview`; it pays to the new BIC instead.
    @Test func approvalSkipsAnInvoiceWhoseCreditorBICChangedSincePreview() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATB", currency: "GBP", iban: "GB29NWBK60161331926819", bic: "NWBKGB2L", on: connection)
            try PaymentLedger.customer("ATB", "B1", amount: "75", currency: "GBP", iban: "GB82WEST12345698765432",
                                       bic: "NWBKGB2L", on: connection)
            try PaymentLedger.reimburse("ATB", on: connection)
            let preview = try PaymentLedger.payJob("ATB", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            #expect(try Store.rows("SELECT creditor_bic FROM vendor_payment WHERE job_id = $1", preview, on: connection) == ["NWBKGB2L"])
            try connection.execute("UPDATE vendor_bank_account SET bic = 'MIDLGB22' WHERE company_id = 'ATB' AND vendor_account = $1",
                                   try Self.vendorOf("ATB", "B1", on: connection))
            let approval = try PaymentLedger.payJob("ATB", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            let skips = try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
            let paid = try Store.rows("SELECT creditor_bic FROM vendor_payment WHERE job_id = $1 AND NOT preview", approval, on: connection)
            #expect(skips == ["B1|changed_since_preview"])
            #expect(paid == [])
            try Self.expectPaymentLedgerSound("ATB", on: connection)
        }
    }

    /// HELD. The ERP pays the invoice after the preview: the approval skips it
    /// `changed_since_preview` and posts nothing for it.
    @Test func approvalSkipsAnInvoiceTheERPPaidAfterThePreview() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATE", on: connection)
            try PaymentLedger.customer("ATE", "E1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.customer("ATE", "E2", amount: "20", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.reimburse("ATE", on: connection)
            let preview = try PaymentLedger.payJob("ATE", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            try connection.execute("UPDATE vendor_invoice SET settled_amount = amount WHERE company_id = 'ATE' AND vendor_account = $1",
                                   try Self.vendorOf("ATE", "E1", on: connection))
            let approval = try PaymentLedger.payJob("ATE", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
                    == ["E1|changed_since_preview"])
            #expect(try Store.rows("SELECT amount FROM vendor_payment WHERE job_id = $1 AND NOT preview", approval, on: connection)
                    == ["20.000000"])
            let check = try PaymentRunTests.check(try #require(try PaymentLedger.documents(approval, on: connection).first).document)
            #expect(check.group.control_sum == "20.00")
            try Self.expectPaymentLedgerSound("ATE", on: connection)
        }
    }

    // MARK: - Reversal against payment

    /// HELD. A paid invoice cannot be cancelled by a reversal (skipped, nothing reversed), and
    /// an invoice a reversal cancelled is never paid.
    @Test func reversalAndPaymentNeverBothTakeOneInvoice() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATR", on: connection)
            try PaymentLedger.customer("ATR", "R1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            let first = try PaymentLedger.reimburse("ATR", on: connection)
            let pay = try PaymentLedger.payJob("ATR", on: connection)
            try Store.run(pay, on: connection)
            let reverse = try connection.queryValue(Int64.self, """
                INSERT INTO reimbursement_job (company_id, operation, reverses_job_id, reversal_reason, posting_date)
                VALUES ('ATR', 'reverse', $1, 'attack', '2026-12-15') RETURNING id
                """, first)!
            try Store.run(reverse, on: connection)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", reverse, on: connection)
                    == ["vendor_invoice_paid"])
            #expect(try Store.count("SELECT count(*) FROM vendor_invoice WHERE company_id = 'ATR' AND reversal_id IS NOT NULL", on: connection) == 0)

            // The other order: reversed first, then a pay run selects nothing.
            try PaymentLedger.customer("ATR", "R2", amount: "7", iban: "NL91ABNA0417164300", on: connection)
            let second = try PaymentLedger.reimburse("ATR", on: connection)
            let reverse2 = try connection.queryValue(Int64.self, """
                INSERT INTO reimbursement_job (company_id, operation, reverses_job_id, reversal_reason, posting_date)
                VALUES ('ATR', 'reverse', $1, 'attack', '2026-12-15') RETURNING id
                """, second)!
            try Store.run(reverse2, on: connection)
            let pay2 = try PaymentLedger.payJob("ATR", on: connection)
            try Store.run(pay2, on: connection)
            #expect(try PaymentLedger.result(pay2, "payment.paid", on: connection) == "0")
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1", pay2, on: connection) == 0)
            try Self.expectPaymentLedgerSound("ATR", on: connection)
        }
    }

    /// HELD. A previewed invoice reversed before the approval: the approval skips it
    /// `changed_since_preview`.
    @Test func approvalSkipsAnInvoiceReversedAfterThePreview() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATV", on: connection)
            try PaymentLedger.customer("ATV", "V1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            let first = try PaymentLedger.reimburse("ATV", on: connection)
            let preview = try PaymentLedger.payJob("ATV", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            let reverse = try connection.queryValue(Int64.self, """
                INSERT INTO reimbursement_job (company_id, operation, reverses_job_id, reversal_reason, posting_date)
                VALUES ('ATV', 'reverse', $1, 'attack', '2026-11-30') RETURNING id
                """, first)!
            try Store.run(reverse, on: connection)
            let approval = try PaymentLedger.payJob("ATV", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
                    == ["changed_since_preview"])
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1", approval, on: connection) == 0)
            try Self.expectPaymentLedgerSound("ATV", on: connection)
        }
    }

    // MARK: - Amounts

    /// HELD. 6 decimals in EUR: skipped invalid_data, never rounded.
    @Test func sixDecimalEURAmountIsSkippedNotRounded() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATD", on: connection)
            try PaymentLedger.customer("ATD", "D1", amount: "10.123456", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.customer("ATD", "D2", amount: "0.005", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.customer("ATD", "D3", amount: "1.10", iban: "BE68539007547034", on: connection)
            try PaymentLedger.reimburse("ATD", on: connection)
            #expect(try Store.count("SELECT count(*) FROM vendor_invoice WHERE company_id = 'ATD'", on: connection) == 3)
            let pay = try PaymentLedger.payJob("ATD", on: connection)
            try Store.run(pay, on: connection)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1 ORDER BY 1", pay, on: connection)
                    == ["D1|invalid_data", "D2|invalid_data"])
            #expect(try Store.rows("SELECT amount FROM vendor_payment WHERE job_id = $1", pay, on: connection) == ["1.100000"])
            #expect(try Store.count("SELECT count(*) FROM vendor_invoice WHERE company_id = 'ATD' AND settled_amount > 0", on: connection) == 1)
            let check = try PaymentRunTests.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.amounts == [["EUR", "1.10"]])
            try Self.expectPaymentLedgerSound("ATD", on: connection)
        }
    }

    /// HELD. Many invoices: the control sum is the exact decimal sum (0.01 .. 0.60 and 0.07
    /// steps that binary floating point gets wrong).
    @Test func controlSumOfManyInvoicesIsExact() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATS", on: connection)
            for index in 1...60 {
                let text = index >= 10 ? "0.\(index)" : "0.0\(index)"
                try PaymentLedger.customer("ATS", "S\(index)", amount: text, iban: "FR1420041010050500013M02606", on: connection)
            }
            try PaymentLedger.reimburse("ATS", on: connection)
            let pay = try PaymentLedger.payJob("ATS", on: connection)
            try Store.run(pay, chunkSize: 7, on: connection)
            let check = try PaymentRunTests.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.group.transactions == 60)
            #expect(check.group.control_sum == "18.30")
            try Self.expectPaymentLedgerSound("ATS", on: connection)
        }
    }

    /// HELD (contract reading). An invoice partly settled by the ERP is never paid in full
    /// (never more than its open amount); the run skips it invalid_data.
    @Test func partlySettledInvoiceIsNeverOverpaid() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATP", on: connection)
            try PaymentLedger.customer("ATP", "P1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("ATP", on: connection)
            try connection.execute("UPDATE vendor_invoice SET settled_amount = 4 WHERE company_id = 'ATP'")
            let pay = try PaymentLedger.payJob("ATP", on: connection)
            try Store.run(pay, on: connection)
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1 AND amount > 6", pay, on: connection) == 0)
            #expect(try Store.rows("SELECT reason FROM reimbursement_skip WHERE job_id = $1", pay, on: connection) == ["invalid_data"])
            #expect(try Store.rows("SELECT settled_amount FROM vendor_invoice WHERE company_id = 'ATP'", on: connection) == ["4.000000"])
        }
    }

    // MARK: - Bank accounts refused at write

    @Test(arguments: [
        ("de89370400440532013000", "customer_bank_account_iban_format"),
        ("DE89 3704 0044 0532 0130 00", "customer_bank_account_iban_format"),
        ("XX89370400440532013000", "customer_bank_account_iban_format"),
        ("DE88370400440532013000", "customer_bank_account_iban_check_digits"),
        ("DE8937040044053201300", "customer_bank_account_iban_format"),
        ("DE89370400440532013000\n", "customer_bank_account_iban_format"),
        ("DE89370400440532013000 ", "customer_bank_account_iban_format"),
        ("ＤE89370400440532013000", "customer_bank_account_iban_format"),
    ])
    func badIBANIsRefusedAtInsertByName(iban: String, constraint: String) async throws {
        let database = try await TestServer.database()
        let refused = try await database.withConnection { connection -> String? in
            try LedgerFixture.company("ATI", on: connection)
            try LedgerFixture.customer("ATI", "I1", on: connection)
            do {
                try connection.execute("INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('ATI', 'I1', $1)", iban)
                return nil
            } catch let error as PostgresError {
                return error.constraintName ?? error.message
            }
        }
        #expect(refused == constraint)
    }

    @Test(arguments: [("cobadeff", "vendor_bank_account_bic_format"), ("COBADEFFXX", "vendor_bank_account_bic_format"),
                      ("COBA DEFF", "vendor_bank_account_bic_format")])
    func badBICIsRefusedAtInsertByName(bic: String, constraint: String) async throws {
        let database = try await TestServer.database()
        let refused = try await database.withConnection { connection -> String? in
            try PaymentLedger.company("ATC", on: connection)
            try PaymentLedger.customer("ATC", "C1", amount: "5", on: connection)
            try PaymentLedger.reimburse("ATC", on: connection)
            let vendor = try Self.vendorOf("ATC", "C1", on: connection)
            do {
                try connection.execute("INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic) VALUES ('ATC', $1, 'DE89370400440532013000', $2)",
                                       vendor, bic)
                return nil
            } catch let error as PostgresError {
                return error.constraintName ?? error.message
            }
        }
        #expect(refused == constraint)
    }

    // MARK: - Company set-up

    /// HELD. A company without a paying account or bank ledger account: the job fails before
    /// anything is paid, posted or settled.
    @Test(arguments: ["UPDATE company SET bank_account_iban = NULL WHERE id = 'ATN'",
                      "UPDATE company SET bank_ledger_account = NULL WHERE id = 'ATN'"])
    func companyWithoutBankSetUpFailsBeforeAnythingIsPosted(statement: String) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATN", on: connection)
            try PaymentLedger.customer("ATN", "N1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("ATN", on: connection)
            try connection.execute(statement)
            let pay = try PaymentLedger.payJob("ATN", on: connection)
            _ = try? Store.runner(connection, chunkSize: 500).runQueuedJob(id: pay)
            #expect(try Store.state(of: pay, on: connection) == "failed")
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE company_id = 'ATN'", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM ledger_entry WHERE company_id = 'ATN' AND vendor_payment_id IS NOT NULL", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM vendor_invoice WHERE company_id = 'ATN' AND settled_amount > 0", on: connection) == 0)
        }
    }

    // MARK: - Documents

    /// HELD. Hostile names and customer accounts: CDATA ends, closing tags, character
    /// references, control characters, a right-to-left override, a 500-character name. The
    /// document stays valid against the XSD and inside the SEPA set, names at most 70.
    @Test func hostileTextStaysValidAndInsideTheSEPASet() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATX", on: connection)
            let names = [
                "]]><x>&#x0;</Nm></Cdtr>", "Evil\u{202E}gnp.exe\u{7}\u{1B}[31m\u{0B}\u{0C}",
                String(repeating: "Ä", count: 500), "\u{FEFF}\u{200B}", "  \t\n  ", "&amp;&lt;&#38;",
                "O'Brien \"quoted\" <script>", "日本語の名前", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u{301}\u{302}",
            ]
            for (index, name) in names.enumerated() {
                try PaymentLedger.customer("ATX", "X\(index)", amount: "1.0\(index)", name: name,
                                           iban: "FR1420041010050500013M02606", on: connection)
            }
            try PaymentLedger.customer("ATX", "]]></Ustrd>&#x0;", amount: "2", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.reimburse("ATX", on: connection)
            let pay = try PaymentLedger.payJob("ATX", on: connection)
            try Store.run(pay, on: connection)
            #expect(try PaymentLedger.result(pay, "payment.paid", on: connection) == "\(names.count + 1)")
            let document = try #require(try PaymentLedger.documents(pay, on: connection).first).document
            let check = try PaymentRunTests.check(document)
            #expect(check.names.allSatisfy { ($0?.count ?? 0) <= 70 && ($0?.isEmpty == false) })
            #expect(check.remittances.allSatisfy { ($0?.count ?? 0) <= 140 })
            #expect(!document.contains("<x>"))
            #expect(!document.contains("\u{202E}"))
            try Self.expectPaymentLedgerSound("ATX", on: connection)
        }
    }

    /// HELD. Voucher prefixes with slashes (`//` in an end-to-end id is refused by banks) and a
    /// long prefix: every end-to-end id is a valid identifier of at most 35 characters, unique.
    @Test(arguments: ["PV//", "/PV/", "PV/Ä_ö/", "PV 1"])
    func voucherPrefixesGiveValidEndToEndIDs(prefix: String) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("ATP2", on: connection)
            try connection.execute("UPDATE number_sequence SET prefix = $1 WHERE company_id = 'ATP2' AND name = 'payment_voucher'", prefix)
            try PaymentLedger.customer("ATP2", "E1", amount: "3", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.customer("ATP2", "E2", amount: "4", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.reimburse("ATP2", on: connection)
            let pay = try PaymentLedger.payJob("ATP2", on: connection)
            try Store.run(pay, on: connection)
            let ids = try Store.rows("SELECT end_to_end_id FROM vendor_payment WHERE job_id = $1", pay, on: connection)
            #expect(ids.count == 2)
            #expect(Set(ids).count == 2)
            #expect(ids.allSatisfy { !$0.contains("//") && !$0.hasPrefix("/") && !$0.hasSuffix("/") && $0.count <= 35 })
            _ = try PaymentRunTests.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            try Self.expectPaymentLedgerSound("ATP2", on: connection)
        }
    }
}
