import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

// ATTACK ON ISSUE 13: the array-literal encoder of a row-secured login's pipelined writes
// (PostgresTextArray, BulkTableWriter.insertFromArraysSQL) and the statement-level references of
// sql/0022. Tests marked "BREAK" fail on the change as committed; "HELD" are regression tests
// for attacks it withstood.
@Suite("Attack issue 13: arrays and statement-level references")
struct AttackIssue13Tests {
    /// (account, name, address, ledger account, credit, credit accounting)
    static let hostile: [(String, String?, String?, String, String, String)] = [
        ("A\"quote", "He said \"hi\"", "\\N", "12\"00", "-10.5", "-10.5"),
        ("B\\back", "back\\\\slash\\", "\\", "1\\200", "-11", "-11"),
        ("C{brace}", "{}", "{\"a\",\"b\"}", "{1200}", "-12", "-12"),
        ("D,comma", "a,b,c", ",", "1,2", "-13", "-13"),
        ("NULL", "NULL", nil, "NULL", "-14", "-14"),
        ("E", "", "", " 1200", "-15", "-15"),
        ("F", " lead", "trail ", "1200 ", "-0.000001", "-0.000001"),
        ("CAF\u{C9}", "Caf\u{E9} NFC", "NFC", "KONTO\u{C9}", "-16", "-16"),
        ("CAFE\u{301}", "Cafe\u{301} NFD", "NFD", "KONTOE\u{301}", "-17", "-17"),
        ("G", String(repeating: "x\"\\,{}", count: 20_000), nil, "1200",
         "-999999999999999999.999999", "-123456789012345678.000001"),
        ("H", nil, "NULL", "1200", "-18", "-18"),
        ("I\tJ", "line1\nline2\r\n", "\u{1F389} \u{0}".replacingOccurrences(of: "\u{0}", with: ""), "1200", "-19", "-19"),
        ("K\"{,}\\ NULL", "'; DROP TABLE vendor; --", "$1::text[]", "1200", "-20", "-20"),
    ]

    static func build(on connection: PostgresConnection) throws {
        try LedgerFixture.company("HOS", on: connection)
        for (account, name, address, ledger, amount, accounting) in hostile {
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, customer_group, currency, address)
                VALUES ('HOS', $1, $2, 'RETAIL', 'USD', $3)
                """, account, name, address)
            try LedgerFixture.transaction(
                "HOS", account, amount: amount, accounting: accounting,
                // The widest amount alone in its currency: the job's USD total must still fit.
                currency: account == "G" ? "EUR" : "USD", settled: "-0.000000", ledgerAccount: ledger,
                on: connection)
        }
        // A bank account for the last hostile customer: copied to its one-time vendor through
        // the same arrays (OneTimeVendorBankAccounts).
        try connection.execute("""
            INSERT INTO customer_bank_account (company_id, customer_account, iban, bic)
            VALUES ('HOS', $1, 'DE89370400440532013000', 'COBADEFFXXX')
            """, hostile.last!.0)
    }

    /// HELD: every hostile text (quotes, backslashes, braces, commas, the word NULL vs SQL NULL,
    /// empty strings, leading and trailing spaces, NFC vs NFD, tabs and newlines, 120,000
    /// characters, SQL-looking text) and the widest amounts go through the array literal of a
    /// row-secured login byte for byte as through the owner's COPY: one-time vendors copy the
    /// customer's name and address exactly, voucher lines and debits keep the credit's ledger
    /// account exactly, amounts keep every digit; both paths post the same rows.
    @Test func hostileTextAndWideAmountsSurviveTheArrayLiteralAsCOPY() async throws {
        var snapshots: [[String]] = []
        for serviceLogin in [true, false] {
            let database = try await TestServer.database()
            let job = try await database.withConnection { connection in
                try Self.build(on: connection)
                return try LedgerFixture.job("HOS", on: connection)
            }
            try await PipelinedPostingTests.asLogin(serviceLogin: serviceLogin, database) { connection in
                try Store.run(job, chunkSize: 50, on: connection)
            }
            let snapshot = try await database.withConnection { connection in
                #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", job, on: connection)
                        == Self.hostile.count, "service login \(serviceLogin)")
                // Vendors copy the customer byte for byte (NULL stays NULL, 'NULL' stays text).
                #expect(try Store.count("""
                    SELECT count(*) FROM vendor v JOIN customer c
                      ON c.company_id = v.company_id AND c.account = v.customer_account
                     WHERE v.company_id = 'HOS' AND v.one_time
                       AND v.name IS NOT DISTINCT FROM c.name AND v.address IS NOT DISTINCT FROM c.address
                       AND convert_to(v.customer_account, 'UTF8') = convert_to(c.account, 'UTF8')
                    """, on: connection) == Self.hostile.count, "service login \(serviceLogin)")
                #expect(try Store.count(
                    "SELECT count(*) FROM vendor WHERE company_id = 'HOS' AND name IS NULL", on: connection) == 1)
                #expect(try Store.count(
                    "SELECT count(*) FROM vendor WHERE company_id = 'HOS' AND name = 'NULL'", on: connection) == 1)
                #expect(try Store.count(
                    "SELECT count(*) FROM vendor WHERE company_id = 'HOS' AND name = ''", on: connection) == 1)
                // Each reimbursement: the customer's credit, exact, on the credit's ledger account.
                #expect(try Store.count("""
                    SELECT count(*) FROM reimbursement r
                      JOIN customer_transaction c ON c.company_id = r.company_id
                       AND c.customer_account = r.customer_account AND c.amount < 0
                      JOIN customer_transaction d ON d.company_id = r.company_id AND d.voucher = r.voucher
                       AND d.kind = 'reimbursement'
                      JOIN ledger_entry l ON l.company_id = r.company_id AND l.voucher = r.voucher
                       AND l.posting_type = 'customer_reimbursement'
                     WHERE r.job_id = $1 AND r.amount = -c.amount AND r.amount_accounting = -c.amount_accounting
                       AND convert_to(d.ledger_account, 'UTF8') = convert_to(c.ledger_account, 'UTF8')
                       AND convert_to(l.account, 'UTF8') = convert_to(c.ledger_account, 'UTF8')
                       AND c.settled_amount = c.amount AND c.settled_amount_accounting = c.amount_accounting
                    """, job, on: connection) == Self.hostile.count, "service login \(serviceLogin)")
                #expect(try Store.rows(
                    "SELECT amount::text, amount_accounting::text FROM reimbursement WHERE customer_account = 'G'",
                    on: connection) == ["999999999999999999.999999|123456789012345678.000001"])
                #expect(try Store.count("""
                    SELECT count(*) FROM vendor_bank_account b JOIN vendor v
                      ON v.company_id = b.company_id AND v.account = b.vendor_account
                     WHERE v.customer_account = $1 AND b.iban = 'DE89370400440532013000'
                    """, Self.hostile.last!.0, on: connection) == 1)
                try MoneyPathTests.expectVerified("HOS", on: connection)
                return try Store.rows("""
                    SELECT r.customer_account, r.vendor_account, r.currency, r.amount::text, r.amount_accounting::text,
                           md5(coalesce(v.name, '<null>')), md5(coalesce(v.address, '<null>')),
                           (SELECT string_agg(l.account || '=' || l.amount::text, ';' ORDER BY l.line)
                              FROM ledger_entry l WHERE l.company_id = r.company_id AND l.voucher = r.voucher)
                      FROM reimbursement r JOIN vendor v ON v.company_id = r.company_id AND v.account = r.vendor_account
                     WHERE r.job_id = $1 ORDER BY convert_to(r.customer_account, 'UTF8')
                    """, job, on: connection)
            }
            snapshots.append(snapshot)
        }
        #expect(snapshots[0] == snapshots[1])
    }

    /// HELD: the ways to write a row pointing at nothing that the existing tests do not try.
    /// Each must be refused (SQLSTATE 23503, the named constraint), as the foreign key did.
    @Test func orphansByUpsertMergeCopyAndTempTablesAreRefused() async throws {
        let database = try await StatementLevelReferenceTests.postedDatabase()
        let attempts: [(String, String)] = [
            // The UPDATE arm of an upsert.
            ("ledger_entry_reimbursement_fk", """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                SELECT company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                       amount_accounting, reimbursement_id
                  FROM ledger_entry ORDER BY voucher, line LIMIT 1
                ON CONFLICT (company_id, voucher, line) DO UPDATE SET reimbursement_id = 999999
                """),
            // MERGE (PostgreSQL 15).
            ("customer_settlement_reimbursement_fk", """
                MERGE INTO customer_settlement s
                USING (SELECT max(id) AS id FROM customer_settlement) m ON s.id = m.id
                WHEN MATCHED THEN UPDATE SET reimbursement_id = 999999
                """),
            ("ledger_entry_reimbursement_fk", """
                MERGE INTO ledger_entry l
                USING (SELECT 'MIX' AS company_id, 'NEW-VOUCHER' AS voucher) m
                   ON l.company_id = m.company_id AND l.voucher = m.voucher
                WHEN NOT MATCHED THEN INSERT (company_id, voucher, line, posting_date, account, posting_type, currency,
                                              amount, amount_accounting, reimbursement_id)
                     VALUES ('MIX', 'NEW-VOUCHER', 1, '2026-11-25', '1200', 'customer_reimbursement', 'USD', 1, 1, 999999)
                """),
            // Re-pointing a row at another company's reimbursement id (exists only in MIX).
            ("customer_settlement_reimbursement_fk", """
                WITH other AS (INSERT INTO company (id, name, accounting_currency, vendor_summary_account)
                               VALUES ('OTHER', 'Other', 'USD', '2100') RETURNING id)
                UPDATE customer_settlement SET company_id = (SELECT id FROM other)
                 WHERE id = (SELECT min(id) FROM customer_settlement)
                """),
        ]
        try await database.withConnection { connection in
            // A temporary table named like the referenced table, holding the orphan's key: the
            // owner's own statements resolve `reimbursement` to it (pg_temp comes first).
            try connection.execute("CREATE TEMP TABLE reimbursement (company_id text, id bigint)")
            try connection.execute("INSERT INTO reimbursement VALUES ('MIX', 999999)")
            let withTemp: [(String, String)] = attempts + [
                ("ledger_entry_reimbursement_fk", """
                    INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                              amount, amount_accounting, reimbursement_id)
                    SELECT company_id, voucher, 99, posting_date, account, posting_type, currency, amount,
                           amount_accounting, 999999
                      FROM ledger_entry ORDER BY voucher, line LIMIT 1
                    """),
            ]
            for (constraint, statement) in withTemp {
                do {
                    try connection.execute("BEGIN")
                    try connection.execute(statement)
                    try connection.execute("ROLLBACK")
                    Issue.record("accepted: \(statement)")
                } catch let error as PostgresError {
                    _ = try? connection.execute("ROLLBACK")
                    #expect(error.sqlState == "23503", "\(statement): \(error)")
                    #expect(error.constraintName == constraint, "\(statement): \(error)")
                }
            }
            try connection.execute("DROP TABLE pg_temp.reimbursement")
            // COPY as the owner, in a transaction that goes on after it.
            try connection.execute("BEGIN")
            do {
                _ = try connection.copyIn("""
                    COPY ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                       amount_accounting, reimbursement_id) FROM STDIN
                    """) { writer in
                    try writer.row(values: ["MIX", "COPY-1", 1, "2026-11-25", "1200", "customer_reimbursement", "USD",
                                            "1", "1", Int64(999999)] as [any PostgresEncodable])
                }
                Issue.record("COPY of an orphan accepted")
            } catch let error as PostgresError {
                #expect(error.constraintName == "ledger_entry_reimbursement_fk", "\(error)")
            }
            _ = try? connection.execute("ROLLBACK")
            // Rows that reference rows written earlier in the same statement pass (as with a
            // foreign key): a reimbursement and its voucher line in one data-modifying CTE.
            try connection.execute("BEGIN")
            try connection.execute("""
                WITH r AS (
                    INSERT INTO reimbursement (company_id, job_id, customer_account, vendor_account,
                                               one_time_vendor_created, currency, amount, amount_accounting, voucher,
                                               posting_date)
                    SELECT company_id, job_id, customer_account, vendor_account, false, currency, amount,
                           amount_accounting, 'CTE-1', posting_date
                      FROM reimbursement ORDER BY id LIMIT 1
                    RETURNING company_id, id, posting_date, currency, amount)
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                SELECT company_id, 'CTE-1', 1, posting_date, '1200', 'customer_reimbursement', currency, amount,
                       amount, id FROM r
                """)
            try connection.execute("ROLLBACK")
        }
    }

    /// HELD: the planner settings of the check functions and of the settle functions do not
    /// leak into the session that wrote the rows (function SET clauses are restored), neither
    /// after a success nor after a refusal.
    @Test func plannerSettingsOfTheChecksDoNotLeakIntoTheSession() async throws {
        let database = try await StatementLevelReferenceTests.postedDatabase()
        try await PipelinedPostingTests.asLogin(serviceLogin: false, database) { connection in
            let settings = "SELECT current_setting('enable_seqscan') || current_setting('enable_bitmapscan') "
                + "|| current_setting('enable_indexonlyscan') || current_setting('enable_hashjoin') "
                + "|| current_setting('enable_mergejoin')"
            #expect(try connection.queryValue(String.self, settings) == "ononononon")
            try connection.execute("BEGIN")
            try connection.execute("""
                UPDATE ledger_entry SET account = account WHERE line = 1
                """)
            #expect(try connection.queryValue(String.self, settings) == "ononononon")
            _ = try connection.queryValue(
                Int64.self, "SELECT customer_transaction_settle_credits('MIX', '{}'::bigint[], '{}', '{}')")
            #expect(try connection.queryValue(String.self, settings) == "ononononon")
            try connection.execute("ROLLBACK")
            _ = try? connection.execute("UPDATE ledger_entry SET reimbursement_id = 999999 WHERE line = 1")
            #expect(try connection.queryValue(String.self, settings) == "ononononon")
        }
    }

    /// HELD (behaviour change noted): deleting a company with posted money was already refused
    /// (by customer -> reimbursement); TRUNCATE ... CASCADE of company or of the job queue,
    /// which truncated the posted tables before 0022, is now refused naming the guard.
    @Test func truncateCascadeOfTheQueueNowStopsAtPostedMoney() async throws {
        let database = try await StatementLevelReferenceTests.postedDatabase()
        try await database.withConnection { connection in
            for statement in ["TRUNCATE company CASCADE", "TRUNCATE reimbursement_job CASCADE",
                              "DELETE FROM company WHERE id = 'MIX'"] {
                do {
                    try connection.execute(statement)
                    Issue.record("accepted: \(statement)")
                } catch let error as PostgresError {
                    #expect(["23001", "23503"].contains(error.sqlState ?? ""), "\(statement): \(error)")
                }
            }
            #expect(try Store.count("SELECT count(*) FROM reimbursement", on: connection) > 0)
        }
    }
}
