import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Payment runs end to end (PRODUCT.md section 9, issue 17): fixtures as a user writes them,
/// a reimburse job, a pay job run by the library entry point, rows and documents read back and
/// checked by the independent tools (ISO 20022 XSDs from sepaxml, schwifty) and by verify.
@Suite("Payment runs")
struct PaymentRunTests {
    static func check(_ document: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PaymentDocumentCheck {
        let check = try PaymentDocumentCheck.run(document)
        #expect(check.schema_errors.isEmpty, "schema: \(check.schema_errors)", sourceLocation: sourceLocation)
        #expect(check.outside_sepa_set.isEmpty, "outside the SEPA set: \(check.outside_sepa_set)", sourceLocation: sourceLocation)
        #expect(check.bad_identifiers.isEmpty, "\(check.bad_identifiers)", sourceLocation: sourceLocation)
        #expect(check.ibans.values.allSatisfy { $0 }, "\(check.ibans)", sourceLocation: sourceLocation)
        #expect(check.bics.values.allSatisfy { $0 }, "\(check.bics)", sourceLocation: sourceLocation)
        #expect(check.group.transactions == check.counted.transactions, sourceLocation: sourceLocation)
        #expect(Money(exactly: check.group.control_sum) == Money(exactly: check.counted.control_sum), sourceLocation: sourceLocation)
        return check
    }

    @Test func eurSEPARunPaysEachInvoiceOnceAndSkipsAVendorWithoutBankAccount() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYE", on: connection)
            try PaymentLedger.customer("PAYE", "C1", amount: "120.50", iban: "FR1420041010050500013M02606", bic: "PSSTFRPPLIL", on: connection)
            try PaymentLedger.customer("PAYE", "C2", amount: "30", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.customer("PAYE", "C3", amount: "9.99", on: connection)
            try PaymentLedger.reimburse("PAYE", on: connection)
            let pay = try PaymentLedger.payJob("PAYE", on: connection)
            try Store.run(pay, on: connection)

            #expect(try Store.rows("""
                SELECT i.vendor_account, p.amount, p.voucher, p.creditor_iban, p.execution_date, i.settled_amount = i.amount
                  FROM vendor_payment p JOIN vendor_invoice i ON i.company_id = p.company_id AND i.id = p.vendor_invoice_id
                 WHERE p.job_id = $1 ORDER BY p.voucher
                """, pay, on: connection) == [
                    "OTV-00000001|120.500000|PV-00000001|FR1420041010050500013M02606|2026-12-10|t",
                    "OTV-00000002|30.000000|PV-00000002|NL91ABNA0417164300|2026-12-10|t",
                ])
            #expect(try Store.rows(
                "SELECT voucher, line, account, posting_type, amount FROM ledger_entry WHERE voucher LIKE 'PV-%' ORDER BY 1, 2",
                on: connection) == [
                    "PV-00000001|1|2100|vendor_payment|120.500000", "PV-00000001|2|1910|bank|-120.500000",
                    "PV-00000002|1|2100|vendor_payment|30.000000", "PV-00000002|2|1910|bank|-30.000000",
                ])
            #expect(try Store.rows("SELECT customer_account, reason, currency, credit_balance FROM reimbursement_skip WHERE job_id = $1",
                                   pay, on: connection) == ["C3|no_bank_account|EUR|9.990000"])
            #expect(try Store.rows("SELECT customer_account, status FROM reimbursement_report WHERE company_id = 'PAYE' ORDER BY 1",
                                   on: connection) == ["C1|paid", "C2|paid", "C3|open"])
            #expect(try PaymentLedger.result(pay, "payment.paid", on: connection) == "2")
            #expect(try PaymentLedger.result(pay, "payment.skipped.no_bank_account", on: connection) == "1")
            #expect(try PaymentLedger.result(pay, "totals.EUR.amount", on: connection) == "150.50")
            #expect(try PaymentLedger.result(pay, "files", on: connection) == "1")

            let files = try PaymentLedger.documents(pay, on: connection)
            #expect(files.map(\.currency) == ["EUR"])
            let check = try Self.check(try #require(files.first).document)
            #expect(check.format == "pain.001.001.09")
            #expect(check.blocks.map(\.kind) == ["sepa"])
            #expect(check.blocks.first?.charges == "SLEV")
            #expect(check.blocks.first?.date == "2026-12-10")
            #expect(check.group.control_sum == "150.50")
            #expect(check.remittances.first??.hasPrefix("Reimbursement RV-00000001 customer C1") == true)
            #expect(try Store.rows("SELECT transactions, control_sum, sha256 = $2 FROM payment_file WHERE job_id = $1",
                                   pay, check.sha256, on: connection) == ["2|150.500000|t"])
            try PaymentLedger.expectVerified("PAYE", on: connection)

            // A second run pays nothing twice: only C3's invoice is selected, and skipped again.
            let again = try PaymentLedger.payJob("PAYE", on: connection)
            try Store.run(again, on: connection)
            #expect(try PaymentLedger.result(again, "payment.selected", on: connection) == "1")
            #expect(try PaymentLedger.result(again, "payment.paid", on: connection) == "0")
            #expect(try Store.count("SELECT count(*) FROM payment_file WHERE job_id = $1", again, on: connection) == 0)
            try PaymentLedger.expectVerified("PAYE", on: connection)
        }
    }

    @Test func gbpGenericRunNeedsTheCreditorsBIC() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYG", currency: "GBP", iban: "GB29NWBK60161331926819", bic: "NWBKGB2L", on: connection)
            try PaymentLedger.customer("PAYG", "G1", amount: "75", currency: "GBP", iban: "GB82WEST12345698765432", bic: "NWBKGB2L", on: connection)
            try PaymentLedger.customer("PAYG", "G2", amount: "5", currency: "GBP", iban: "GB82WEST12345698765432", on: connection)
            try PaymentLedger.reimburse("PAYG", on: connection)
            let pay = try PaymentLedger.payJob("PAYG", on: connection)
            try Store.run(pay, on: connection)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", pay, on: connection)
                    == ["G2|no_bank_account"])
            let check = try Self.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.blocks.map(\.kind) == ["generic"])
            #expect(check.blocks.first?.charges == "SHAR")
            #expect(check.amounts == [["GBP", "75.00"]])
            try PaymentLedger.expectVerified("PAYG", on: connection)
        }
    }

    @Test func jpyRunHasNoDecimalsAndSkipsAnAmountWithDecimals() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYJ", currency: "JPY", on: connection)
            try PaymentLedger.customer("PAYJ", "J1", amount: "1235", currency: "JPY", iban: "FR1420041010050500013M02606", bic: "PSSTFRPPLIL", on: connection)
            try PaymentLedger.customer("PAYJ", "J2", amount: "10.5", currency: "JPY", iban: "NL91ABNA0417164300", bic: "ABNANL2A", on: connection)
            try PaymentLedger.reimburse("PAYJ", on: connection)
            let pay = try PaymentLedger.payJob("PAYJ", on: connection)
            try Store.run(pay, on: connection)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", pay, on: connection)
                    == ["J2|invalid_data"])
            #expect(try Store.count("SELECT count(*) FROM reimbursement_skip WHERE job_id = $1 AND detail LIKE '%more decimals%'", pay, on: connection) == 1)
            let check = try Self.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.amounts == [["JPY", "1235"]])
            #expect(check.group.control_sum == "1235")
            try PaymentLedger.expectVerified("PAYJ", on: connection)
        }
    }

    @Test func aCompanyOnPain00100103() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAY3", bic: nil, format: "pain.001.001.03", on: connection)
            try PaymentLedger.customer("PAY3", "K1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("PAY3", on: connection)
            let pay = try PaymentLedger.payJob("PAY3", on: connection)
            try Store.run(pay, on: connection)
            let check = try Self.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.format == "pain.001.001.03")
            #expect(try Store.rows("SELECT format FROM payment_file WHERE job_id = $1", pay, on: connection) == ["pain.001.001.03"])
        }
    }

    @Test func hostileNamesStayValidXMLInsideTheSEPASet() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYH", on: connection)
            try PaymentLedger.customer(
                "PAYH", "H1", amount: "5", name: "Müller & Söhne <GmbH> \"Zürich\" 'Ölmühle' 😀 </Nm>",
                iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("PAYH", on: connection)
            let pay = try PaymentLedger.payJob("PAYH", on: connection)
            try Store.run(pay, on: connection)
            let document = try #require(try PaymentLedger.documents(pay, on: connection).first).document
            let check = try Self.check(document)
            let name = try #require(check.names.first ?? nil)
            #expect(name == "Muller + Sohne (GmbH) 'Zurich' 'Olmuhle' (/Nm)")
            #expect(check.remittances.first??.contains("Muller + Sohne") == true)
            #expect(!document.contains("<GmbH>"))
        }
    }

    /// A preview holds its invoices: another run skips them in_payment; the approval pays
    /// exactly them on the preview's date, except one whose creditor IBAN changed; a released
    /// preview holds nothing.
    @Test func previewHoldsAndApprovalPaysExactlyThePreviewedInvoices() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYP", on: connection)
            try PaymentLedger.customer("PAYP", "P1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.customer("PAYP", "P2", amount: "20", iban: "NL91ABNA0417164300", on: connection)
            try PaymentLedger.customer("PAYP", "P3", amount: "30", iban: "BE68539007547034", on: connection)
            try PaymentLedger.reimburse("PAYP", on: connection)
            let preview = try PaymentLedger.payJob("PAYP", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1 AND preview AND voucher IS NULL", preview, on: connection) == 3)
            #expect(try Store.count("SELECT count(*) FROM vendor_invoice WHERE company_id = 'PAYP' AND settled_amount > 0", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM ledger_entry WHERE company_id = 'PAYP' AND vendor_payment_id IS NOT NULL", on: connection) == 0)
            #expect(try Store.rows("SELECT preview, transactions FROM payment_file WHERE job_id = $1", preview, on: connection) == ["t|3"])
            _ = try Self.check(try #require(try PaymentLedger.documents(preview, on: connection).first).document)

            // Held: a plain run meanwhile pays nothing.
            let other = try PaymentLedger.payJob("PAYP", on: connection)
            try Store.run(other, on: connection)
            #expect(try PaymentLedger.result(other, "payment.skipped.in_payment", on: connection) == "3")
            #expect(try PaymentLedger.result(other, "payment.paid", on: connection) == "0")

            // The payee of P2 changes its bank account (the payee fraud path).
            try connection.execute("""
                UPDATE vendor_bank_account SET iban = 'DE89370400440532013000'
                 WHERE company_id = 'PAYP' AND vendor_account = (SELECT vendor_account FROM reimbursement WHERE customer_account = 'P2')
                """)
            let approval = try PaymentLedger.payJob("PAYP", date: "2026-12-31", approves: preview, on: connection)
            try Store.run(approval, on: connection)
            #expect(try Store.rows("SELECT posting_date, effective_posting_date FROM reimbursement_job WHERE id = $1", approval, on: connection)
                    == ["2026-12-10|2026-12-10"], "the preview's execution date")
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1 AND NOT preview", approval, on: connection) == 2)
            #expect(try Store.rows("SELECT customer_account, reason FROM reimbursement_skip WHERE job_id = $1", approval, on: connection)
                    == ["P2|changed_since_preview"])
            #expect(try Store.count("SELECT count(*) FROM reimbursement_skip WHERE job_id = $1 AND detail LIKE '%bank account changed%'", approval, on: connection) == 1)
            let check = try Self.check(try #require(try PaymentLedger.documents(approval, on: connection).first).document)
            #expect(check.group.control_sum == "40.00")

            // The approval released the hold; a second preview of P2 is released by cancel_requested.
            let second = try PaymentLedger.payJob("PAYP", mode: "preview", on: connection)
            try Store.run(second, on: connection)
            #expect(try PaymentLedger.result(second, "payment.paid", on: connection) == "1")
            try connection.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE id = $1", second)
            let last = try PaymentLedger.payJob("PAYP", on: connection)
            try Store.run(last, on: connection)
            #expect(try PaymentLedger.result(last, "payment.paid", on: connection) == "1")
            try PaymentLedger.expectVerified("PAYP", on: connection)
        }
    }

    /// A pay job stopped between chunks (as a shutdown or a crash leaves it) resumes after its
    /// checkpoint: each invoice is paid once and the document holds every payment.
    @Test func aStoppedRunResumesWithoutPayingTwice() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try PaymentLedger.company("PAYR", on: connection)
            for index in 1...5 {
                try PaymentLedger.customer("PAYR", "R\(index)", amount: "\(index)0", iban: "FR1420041010050500013M02606", on: connection)
            }
            try PaymentLedger.reimburse("PAYR", on: connection)
            let pay = try PaymentLedger.payJob("PAYR", on: connection)
            let lease = try #require(try JobStateStore.claim(jobID: pay, owner: "first", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let outcome = try Store.runner(connection, chunkSize: 2).run(lease, shouldStop: {
                defer { chunks += 1 }
                return chunks == 1
            })
            guard case .interrupted = outcome else {
                Issue.record("expected interrupted, got \(outcome)")
                return
            }
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1", pay, on: connection) == 2)
            #expect(try Store.count("SELECT count(*) FROM payment_file WHERE job_id = $1", pay, on: connection) == 0)
            try JobStateStore.release(lease, on: connection)
            try Store.run(pay, chunkSize: 2, on: connection)
            #expect(try Store.count("SELECT count(DISTINCT vendor_invoice_id) FROM vendor_payment WHERE job_id = $1", pay, on: connection) == 5)
            #expect(try Store.count("SELECT count(*) FROM vendor_payment WHERE job_id = $1", pay, on: connection) == 5)
            #expect(try PaymentLedger.result(pay, "payment.paid", on: connection) == "5")
            let check = try Self.check(try #require(try PaymentLedger.documents(pay, on: connection).first).document)
            #expect(check.group.transactions == 5)
            #expect(check.group.control_sum == "150.00")
            try PaymentLedger.expectVerified("PAYR", on: connection)
        }
    }

    /// Four eyes (PRODUCT.md section 6) holds for payment runs: a plain pay post is refused in a
    /// company that requires approval, the preparer cannot approve, another login can.
    @Test func fourEyesOnPaymentRuns() async throws {
        let database = try await TestServer.database()
        let alice = "alice_\(UInt32.random(in: 0...UInt32.max))"
        let bob = "bob_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try PaymentLedger.company("PAY4", on: connection)
            try PaymentLedger.customer("PAY4", "F1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("PAY4", on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'PAY4'")
            for login in [alice, bob] {
                try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_enqueue")
                try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'PAY4')", login)
            }
        }
        func refusal(_ login: String, _ sql: String, _ parameters: [any PostgresEncodable]) async throws -> String? {
            try await Store.asLogin(login, database: database) { connection -> String? in
                do {
                    _ = try connection.execute(sql, parameters: parameters)
                    return nil
                } catch let error as PostgresError {
                    return error.constraintName ?? error.message
                }
            }
        }
        let plain = try await refusal(alice, "INSERT INTO reimbursement_job (company_id, operation, posting_date) VALUES ('PAY4', 'pay', '2026-12-10')", [])
        let preview = try await Store.asLogin(alice, database: database) { connection in
            try connection.queryValue(Int64.self, "INSERT INTO reimbursement_job (company_id, operation, mode, posting_date) VALUES ('PAY4', 'pay', 'preview', '2026-12-10') RETURNING id")!
        }
        try await database.withConnection { try Store.run(preview, on: $0) }
        let insertApproval = "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('PAY4', $1) RETURNING id"
        let own = try await refusal(alice, insertApproval, [preview])
        let approval = try await Store.asLogin(bob, database: database) { connection in
            try connection.queryValue(Int64.self, insertApproval, preview)!
        }
        let paid = try await database.withConnection { connection in
            try Store.run(approval, on: connection)
            return try Store.rows("SELECT operation, mode FROM reimbursement_job WHERE id = $1", approval, on: connection)
                + Store.rows("SELECT count(*) FROM vendor_payment WHERE job_id = $1 AND NOT preview", approval, on: connection)
        }
        try? await database.withConnection { connection in
            for login in [alice, bob] { _ = try? connection.execute("DROP ROLE IF EXISTS \(try connection.quoteIdentifier(login))") }
        }
        #expect(plain == "reimbursement_job_four_eyes")
        #expect(own == "reimbursement_job_four_eyes")
        #expect(paid == ["pay|post", "1"])
    }
}

/// `reimburse verify`'s payment checks see what they exist for.
@Suite("Payment runs: verify catches corruption")
struct PaymentVerifyTests {
    @Test(arguments: [
        ("payment_file_matches_payments", "UPDATE payment_file SET control_sum = control_sum + 1 WHERE company_id = 'PAYV'"),
        ("payment_voucher_sequence", "UPDATE number_sequence SET next_value = next_value + 1 WHERE company_id = 'PAYV' AND name = 'payment_voucher'"),
        ("invoice_paid_once", "UPDATE vendor_invoice SET settled_amount = 0 WHERE company_id = 'PAYV'"),
        ("payment_matches_voucher", "DELETE FROM ledger_entry WHERE company_id = 'PAYV' AND posting_type = 'bank'"),
    ])
    func corruption(check: String, statement: String) async throws {
        let database = try await TestServer.database()
        let failed = try await database.withConnection { connection in
            try PaymentLedger.company("PAYV", on: connection)
            try PaymentLedger.customer("PAYV", "V1", amount: "10", iban: "FR1420041010050500013M02606", on: connection)
            try PaymentLedger.reimburse("PAYV", on: connection)
            try Store.run(try PaymentLedger.payJob("PAYV", on: connection), on: connection)
            try PaymentLedger.expectVerified("PAYV", on: connection)
            try connection.execute(statement)
            return try LedgerVerifier(connection: connection).verify(companyID: "PAYV").failedChecks
        }
        #expect(failed.contains(check), "failed: \(failed)")
    }
}
