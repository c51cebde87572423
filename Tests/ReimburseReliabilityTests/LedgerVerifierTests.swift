import Logging
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// A small posted ledger with every posting shape: two ledger accounts, a foreign currency,
/// an existing vendor, created one-time vendors, summarize false, a preview and its approval.
private func postedLedger() async throws -> TestDatabase {
    let database = try await TestServer.database()
    try await database.withConnection { connection in
        for company in ["USMF", "DEMF"] {
            try LedgerFixture.company(company, minimum: "10", on: connection)
            try LedgerFixture.customer(company, "C001", on: connection)
            try LedgerFixture.transaction(company, "C001", amount: "-25.50", on: connection)
            try LedgerFixture.transaction(company, "C001", amount: "-4.50", ledgerAccount: "1300", on: connection)
            try LedgerFixture.transaction(
                company, "C001", amount: "-100", accounting: "-110.25", currency: "EUR", on: connection)
            try LedgerFixture.customer(company, "C002", vendorAccount: "V002", on: connection)
            try LedgerFixture.vendor(company, "V002", on: connection)
            try LedgerFixture.transaction(
                company, "C002", amount: "-40", settled: "-10", on: connection)
            try LedgerFixture.transaction(company, "C002", amount: "-12.345678", ledgerAccount: "1300", on: connection)
            try LedgerFixture.customer(company, "C003", on: connection)
            try LedgerFixture.transaction(company, "C003", amount: "-5", on: connection)
            try LedgerFixture.customer(company, "C004", group: "WHOLESALE", on: connection)
            try LedgerFixture.transaction(company, "C004", amount: "-60", on: connection)
            try LedgerFixture.transaction(company, "C004", amount: "-70", ledgerAccount: "1300", on: connection)
            try LedgerFixture.transaction(company, "C004", amount: "20", on: connection)
            let runner = JobRunner(
                connection: connection, configuration: JobRunnerConfiguration(chunkSize: 2),
                logger: Logger(label: "verifier-test"))
            _ = try runner.runQueuedJob(id: try LedgerFixture.job(company, groups: ["RETAIL"], on: connection))
            _ = try runner.runQueuedJob(id: try LedgerFixture.job(
                company, groups: ["WHOLESALE"], debitHandling: "include", summarize: false, on: connection))
            // A preview, a change, and its approval.
            try LedgerFixture.customer(company, "C005", on: connection)
            try LedgerFixture.transaction(company, "C005", amount: "-33", on: connection)
            try LedgerFixture.customer(company, "C006", on: connection)
            try LedgerFixture.transaction(company, "C006", amount: "-44", on: connection)
            let preview = try LedgerFixture.job(company, mode: "preview", on: connection)
            _ = try runner.runQueuedJob(id: preview)
            try LedgerFixture.transaction(company, "C006", amount: "-1", on: connection)
            _ = try runner.runQueuedJob(id: try LedgerFixture.job(company, approves: preview, on: connection))
            // Netting (PRODUCT.md section 7): a EUR credit netted against a debit on another
            // ledger account at another rate, the remainder reimbursed.
            try connection.execute("UPDATE company SET exchange_difference_account = '7800' WHERE id = $1", company)
            try LedgerFixture.customer(company, "C007", group: "NETTING", on: connection)
            try LedgerFixture.transaction(
                company, "C007", amount: "-80", accounting: "-88", currency: "EUR", on: connection)
            try LedgerFixture.transaction(
                company, "C007", amount: "30", accounting: "36", currency: "EUR", ledgerAccount: "1300", on: connection)
            try LedgerFixture.transaction(company, "C007", amount: "-20", on: connection)
            try LedgerFixture.transaction(company, "C007", amount: "5", on: connection)
            _ = try runner.runQueuedJob(id: try LedgerFixture.job(
                company, groups: ["NETTING"], debitHandling: "net", on: connection))
            // A reversal of C005's reimbursement (PRODUCT.md section 8): its credit open again.
            let reimbursement = try connection.queryValue(Int64.self, """
                SELECT id FROM reimbursement WHERE company_id = $1 AND customer_account = 'C005'
                """, company)!
            _ = try runner.runQueuedJob(id: try ReversalFixture.job(company, ids: [reimbursement], on: connection))
            // A payment run (PRODUCT.md section 9): every open invoice paid except those whose
            // amount has more decimals than the currency allows.
            try connection.execute("""
                UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_ledger_account = '1910' WHERE id = $1
                """, company)
            try connection.execute("""
                INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic)
                SELECT company_id, account, 'FR1420041010050500013M02606', 'PSSTFRPPLIL' FROM vendor WHERE company_id = $1
                """, company)
            _ = try runner.runQueuedJob(id: try connection.queryValue(Int64.self, """
                INSERT INTO reimbursement_job (company_id, operation, posting_date) VALUES ($1, 'pay', '2026-12-31') RETURNING id
                """, company)!)
        }
    }
    return database
}

/// One way to break the ledger by hand, and the check that must notice it.
struct Corruption: Sendable, CustomTestStringConvertible {
    var check: String
    var what: String
    var statements: [String]
    var testDescription: String { "\(check): \(what)" }
}

private let corruptions: [Corruption] = [
    Corruption(
        check: "invoice_paid_once", what: "a paid invoice reopened",
        statements: ["""
            UPDATE vendor_invoice SET settled_amount = 0
             WHERE company_id = 'USMF' AND id = (SELECT min(vendor_invoice_id) FROM vendor_payment WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "payment_matches_voucher", what: "a payment's bank line changed",
        statements: ["""
            UPDATE ledger_entry SET amount = amount - 1, account = '1911'
             WHERE company_id = 'USMF' AND posting_type = 'bank'
               AND vendor_payment_id = (SELECT min(id) FROM vendor_payment WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "payment_file_matches_payments", what: "a file's control sum changed",
        statements: ["UPDATE payment_file SET control_sum = control_sum + 1 WHERE company_id = 'USMF'"]),
    Corruption(
        check: "payment_voucher_sequence", what: "a payment voucher number skipped",
        statements: ["UPDATE number_sequence SET next_value = next_value + 1 WHERE company_id = 'USMF' AND name = 'payment_voucher'"]),
    Corruption(
        check: "reimbursement_on_effective_date", what: "a reimbursement dated a day after its job's date",
        statements: ["""
            UPDATE reimbursement SET posting_date = posting_date + 1
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "voucher_balanced", what: "a vendor line changed",
        statements: ["""
            UPDATE ledger_entry SET amount = amount - 1
             WHERE company_id = 'USMF' AND posting_type = 'vendor_balance'
               AND voucher = (SELECT min(voucher) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "voucher_balanced", what: "accounting amounts only",
        statements: ["""
            UPDATE ledger_entry SET amount_accounting = amount_accounting + 0.000001
             WHERE company_id = 'USMF' AND line = 1
               AND voucher = (SELECT max(voucher) FROM ledger_entry WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "reimbursement_matches_voucher", what: "the voucher's lines deleted",
        statements: ["""
            DELETE FROM ledger_entry
             WHERE company_id = 'USMF' AND voucher = (SELECT min(voucher) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "reimbursement_matches_invoice", what: "invoice amount raised",
        statements: ["""
            UPDATE vendor_invoice SET amount = amount + 1
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM vendor_invoice WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "reimbursement_matches_invoice", what: "invoice of another currency",
        statements: ["""
            UPDATE vendor_invoice SET currency = 'JPY'
             WHERE company_id = 'USMF' AND id = (SELECT max(id) FROM vendor_invoice WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "reimbursement_matches_invoice", what: "invoice deleted",
        statements: [
            // Posted money is never deleted (sql/0022): the owner disables the guard first.
            "ALTER TABLE vendor_invoice DISABLE TRIGGER vendor_invoice_never_removed",
            """
            DELETE FROM vendor_invoice
             WHERE company_id = 'USMF' AND id = (SELECT max(i.id) FROM vendor_invoice i WHERE i.company_id = 'USMF'
                                                    AND NOT EXISTS (SELECT 1 FROM vendor_payment p
                                                                     WHERE p.company_id = i.company_id
                                                                       AND p.vendor_invoice_id = i.id))
            """]),
    Corruption(
        check: "reimbursement_matches_settlements", what: "a settlement amount changed",
        statements: ["""
            UPDATE customer_settlement SET amount = amount + 0.01
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM customer_settlement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "reimbursement_matches_debits", what: "a reimbursement debit raised",
        statements: ["""
            UPDATE customer_transaction SET amount = amount + 1, settled_amount = settled_amount + 1
             WHERE company_id = 'USMF'
               AND id = (SELECT min(id) FROM customer_transaction WHERE company_id = 'USMF' AND kind = 'reimbursement')
            """]),
    Corruption(
        check: "reimbursement_matches_debits", what: "a reimbursement debit left open",
        statements: ["""
            UPDATE customer_transaction SET settled_amount = 0, settled_amount_accounting = 0
             WHERE company_id = 'USMF'
               AND id = (SELECT max(id) FROM customer_transaction WHERE company_id = 'USMF' AND kind = 'reimbursement')
            """]),
    Corruption(
        check: "transaction_settled_within_amount", what: "a credit settled beyond its amount",
        statements: [
            "ALTER TABLE customer_transaction DROP CONSTRAINT customer_transaction_settled_within_amount",
            """
            UPDATE customer_transaction SET settled_amount = amount - 1
             WHERE company_id = 'USMF' AND customer_account = 'C003'
            """,
        ]),
    Corruption(
        check: "transaction_settled_within_amount", what: "a credit settled against its sign",
        statements: [
            "ALTER TABLE customer_transaction DROP CONSTRAINT customer_transaction_settled_accounting_within_amount",
            """
            UPDATE customer_transaction SET settled_amount_accounting = 3
             WHERE company_id = 'USMF' AND customer_account = 'C003'
            """,
        ]),
    Corruption(
        check: "transaction_settled_within_amount", what: "settlements beyond what the credit shows settled",
        statements: ["""
            UPDATE customer_transaction SET settled_amount = 0, settled_amount_accounting = 0
             WHERE company_id = 'USMF' AND id = (SELECT min(credit_transaction_id) FROM customer_settlement
                                                  WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "settlement_matches_credit", what: "a credit of another customer",
        statements: ["""
            UPDATE customer_settlement SET credit_transaction_id =
                   (SELECT id FROM customer_transaction WHERE company_id = 'USMF' AND customer_account = 'C003')
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM customer_settlement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "settlement_matches_credit", what: "a credit in another currency",
        statements: ["""
            UPDATE customer_transaction SET currency = 'GBP'
             WHERE company_id = 'USMF' AND id = (SELECT min(credit_transaction_id) FROM customer_settlement
                                                  WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "credit_settled_once", what: "a credit settled twice",
        statements: ["""
            INSERT INTO customer_settlement (company_id, job_id, reimbursement_id, debit_transaction_id,
                   credit_transaction_id, currency, amount, amount_accounting, settled_on)
            SELECT company_id, job_id, reimbursement_id, debit_transaction_id, credit_transaction_id, currency,
                   amount, amount_accounting, settled_on
              FROM customer_settlement WHERE company_id = 'USMF' ORDER BY id LIMIT 1
            """]),
    Corruption(
        check: "reimbursement_voucher_sequence", what: "a gap (next_value raised)",
        statements: [
            "UPDATE number_sequence SET next_value = next_value + 2 WHERE company_id = 'USMF' AND name = 'reimbursement_voucher'",
        ]),
    Corruption(
        check: "reimbursement_voucher_sequence", what: "a duplicate value with other padding",
        statements: ["""
            UPDATE reimbursement SET voucher = 'RV-0000001'
             WHERE company_id = 'USMF' AND voucher = 'RV-00000002'
            """]),
    Corruption(
        check: "vendor_invoice_sequence", what: "a number beyond next_value",
        statements: [
            "UPDATE number_sequence SET next_value = next_value - 1 WHERE company_id = 'USMF' AND name = 'vendor_invoice'",
        ]),
    Corruption(
        // An ERP's own one-time vendor numbered like ours is allowed (AttackTests): the check
        // covers the vendors Reimburse created, so the corruption is a number taken and lost.
        check: "one_time_vendor_sequence", what: "a one-time vendor number skipped",
        statements: [
            "UPDATE number_sequence SET next_value = next_value + 1 WHERE company_id = 'USMF' AND name = 'one_time_vendor'",
        ]),
    Corruption(
        check: "skip_excludes_reimbursement", what: "a reimbursed customer also skipped invalid_data in its job",
        statements: ["""
            INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                            credit_balance_accounting, detail)
            SELECT job_id, company_id, customer_account, NULL, 'invalid_data', 0, 'by hand'
              FROM reimbursement WHERE company_id = 'USMF' ORDER BY id LIMIT 1
            """]),
    Corruption(
        check: "job_result_matches_postings", what: "a total changed in the result",
        statements: ["""
            UPDATE reimbursement_job SET result = jsonb_set(result, '{totals,USD,amount}', '"1.000000"')
             WHERE company_id = 'USMF' AND id = (SELECT min(job_id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "job_result_matches_postings", what: "a reimbursement moved to another job",
        statements: ["""
            UPDATE reimbursement SET job_id = (SELECT max(job_id) FROM reimbursement WHERE company_id = 'USMF')
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "job_accounts_for_selected", what: "a selected customer under no outcome",
        statements: ["""
            UPDATE reimbursement_job
               SET result = jsonb_set(result, '{customers,selected}', to_jsonb((result -> 'customers' ->> 'selected')::int + 1)),
                   customers_done = customers_done + 1
             WHERE company_id = 'USMF' AND id = (SELECT min(job_id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "job_accounts_for_selected", what: "customers done differ from selected",
        statements: ["""
            UPDATE reimbursement_job SET customers_done = customers_done - 1
             WHERE company_id = 'USMF' AND id = (SELECT min(job_id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "job_accounts_for_selected", what: "customers passed over (fewer accounted for than counted at the start)",
        statements: ["""
            UPDATE reimbursement_job SET customers_total = customers_total + 3
             WHERE company_id = 'USMF' AND id = (SELECT min(job_id) FROM reimbursement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "netting_settles_both_sides", what: "a netted debit reopened",
        statements: ["""
            UPDATE customer_transaction SET settled_amount = 0, settled_amount_accounting = 0
             WHERE company_id = 'USMF' AND id = (SELECT min(debit_transaction_id) FROM customer_settlement
                                                  WHERE company_id = 'USMF' AND kind = 'netting')
            """]),
    Corruption(
        check: "netting_settles_both_sides", what: "a netting piece pointing at a credit as its debit",
        statements: ["""
            UPDATE customer_settlement SET debit_transaction_id = credit_transaction_id + 0 * id,
                   credit_transaction_id = debit_transaction_id
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM customer_settlement
                                                  WHERE company_id = 'USMF' AND kind = 'netting')
            """]),
    Corruption(
        check: "netting_matches_voucher", what: "an exchange difference changed",
        statements: ["""
            UPDATE ledger_entry SET amount_accounting = amount_accounting - 1
             WHERE company_id = 'USMF' AND posting_type = 'exchange_difference' AND account = '7800'
            """]),
    Corruption(
        check: "reversal_mirrors_original", what: "a reversal line on another account",
        statements: ["""
            UPDATE ledger_entry SET account = '9999' WHERE company_id = 'USMF' AND reversal_id IS NOT NULL AND line = 1
            """]),
    Corruption(
        check: "reversed_once", what: "another invoice cancelled by the same reversal",
        statements: ["""
            UPDATE vendor_invoice SET settled_amount = amount,
                   reversal_id = (SELECT min(id) FROM reimbursement_reversal WHERE company_id = 'USMF')
             WHERE company_id = 'USMF'
               AND id = (SELECT min(id) FROM vendor_invoice WHERE company_id = 'USMF' AND reversal_id IS NULL)
            """]),
    Corruption(
        check: "active_settlements_within_settled", what: "a credit of an active settlement opened by hand",
        statements: ["""
            UPDATE customer_transaction SET settled_amount = 0, settled_amount_accounting = 0
             WHERE company_id = 'USMF' AND id = (
                   SELECT min(s.credit_transaction_id) FROM customer_settlement s
                    WHERE s.company_id = 'USMF'
                      AND NOT EXISTS (SELECT 1 FROM reimbursement_reversal x
                                       WHERE x.company_id = s.company_id AND x.reimbursement_id = s.reimbursement_id))
            """]),
    Corruption(
        check: "reversal_job_result_matches_postings", what: "a reverse job's result counts one reversal too many",
        statements: ["""
            UPDATE reimbursement_job SET result = jsonb_set(result, '{reversals}', to_jsonb((result ->> 'reversals')::int + 1))
             WHERE company_id = 'USMF' AND operation = 'reverse'
            """]),
    // sql/0022: references checked per statement by triggers; an orphan planted with the
    // trigger disabled (as the table owner) is found after the fact.
    Corruption(
        check: "customer_settlement_reimbursement_fk", what: "a settlement pointing at no reimbursement",
        statements: [
            "ALTER TABLE customer_settlement DISABLE TRIGGER customer_settlement_reimbursement_fk_update",
            """
            UPDATE customer_settlement SET reimbursement_id = 999999
             WHERE company_id = 'USMF' AND id = (SELECT min(id) FROM customer_settlement WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "ledger_entry_reimbursement_fk", what: "a ledger line pointing at no reimbursement",
        statements: [
            "ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_reimbursement_fk_insert",
            """
            INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                      amount_accounting, reimbursement_id)
            SELECT company_id, 'ORPHAN-1', 1, posting_date, account, 'customer_reimbursement', currency, 1, 1, 999999
              FROM ledger_entry WHERE company_id = 'USMF' AND posting_type = 'customer_reimbursement' LIMIT 1
            """,
            """
            INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                      amount_accounting, reimbursement_id)
            SELECT company_id, 'ORPHAN-1', 2, posting_date, account, 'vendor_balance', currency, -1, -1, 999999
              FROM ledger_entry WHERE company_id = 'USMF' AND posting_type = 'vendor_balance' LIMIT 1
            """]),
    Corruption(
        check: "reimbursement_reversal_reimbursement_fk", what: "a reversal of a reimbursement that is gone",
        statements: [
            "ALTER TABLE reimbursement DISABLE TRIGGER reimbursement_never_removed",
            """
            UPDATE reimbursement SET id = 999999
             WHERE company_id = 'USMF' AND id = (SELECT min(reimbursement_id) FROM reimbursement_reversal
                                                  WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "vendor_payment_invoice_fk", what: "a payment of an invoice that is gone",
        statements: [
            "ALTER TABLE vendor_invoice DISABLE TRIGGER vendor_invoice_never_removed",
            """
            DELETE FROM vendor_invoice
             WHERE company_id = 'USMF' AND id = (SELECT min(vendor_invoice_id) FROM vendor_payment WHERE company_id = 'USMF')
            """]),
    Corruption(
        check: "vendor_payment_file_fk", what: "a payment in a file that is gone",
        statements: [
            "ALTER TABLE payment_file DISABLE TRIGGER payment_file_never_removed",
            """
            DELETE FROM payment_file
             WHERE company_id = 'USMF' AND id = (SELECT min(payment_file_id) FROM vendor_payment WHERE company_id = 'USMF')
            """]),
]

@Suite("LedgerVerifier")
struct LedgerVerifierTests {
    @Test func aCleanPostedLedgerPassesEveryCheck() async throws {
        let database = try await postedLedger()
        try await database.withConnection { connection in
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement") ?? 0 >= 10)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM vendor WHERE one_time") ?? 0 >= 4)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement_reversal") == 2)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM vendor_payment") ?? 0 >= 10)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM payment_file") ?? 0 >= 2)
            let result = try LedgerVerifier(connection: connection).verify()
            #expect(result.checks == LedgerVerifier.checkNames)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM customer_settlement WHERE kind = 'netting'") == 4)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM ledger_entry WHERE posting_type = 'exchange_difference'") == 2)
            #expect(result.checks.count >= 21)  // none dropped; features add their own
            #expect(result.passed, "\(result.violations.map(\.description).joined(separator: "\n"))")
            #expect(try LedgerVerifier(connection: connection).verify(companyID: "USMF").passed)
            #expect(try LedgerVerifier(connection: connection).verify(companyID: "NOSUCH").passed)
        }
    }

    @Test(arguments: corruptions)
    func everyCheckFiresOnItsCorruption(_ corruption: Corruption) async throws {
        let database = try await postedLedger()
        try await database.withConnection { connection in
            for statement in corruption.statements {
                let changed = try connection.execute(statement)
                #expect(changed.affectedRows > 0 || statement.hasPrefix("ALTER"), "no row changed by: \(statement)")
            }
            let verifier = LedgerVerifier(connection: connection)
            let result = try verifier.verify()
            #expect(result.failedChecks.contains(corruption.check),
                    "expected \(corruption.check), got: \(result.violations.map(\.description))")
            let mine = result.violations.filter { $0.check == corruption.check }
            #expect(mine.allSatisfy { $0.companyID == "USMF" && !$0.message.isEmpty && !$0.rows.isEmpty })
            // Only the corrupted company is affected; the filter keeps the other one clean.
            #expect(try verifier.verify(companyID: "DEMF").passed)
            #expect(try !verifier.verify(companyID: "USMF").passed)
        }
    }

    @Test func everyCheckHasACorruptionTest() {
        #expect(Set(corruptions.map(\.check)) == Set(LedgerVerifier.checkNames))
    }
}
