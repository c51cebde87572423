import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// sql/0022: the references between the tables the daemon fills are checked once per
/// statement (no plan that depends on the output tables' statistics, no query per row), with
/// the foreign keys' names and words; the referenced rows are never removed.
@Suite("Statement-level references")
struct StatementLevelReferenceTests {
    /// Tables a chunk writes or that its checks read.
    static let outputTables = ["reimbursement", "vendor_invoice", "customer_settlement", "ledger_entry"]

    /// Sequential scans of the output tables so far, as the statistics system has them.
    static func sequentialScans(on connection: PostgresConnection) throws -> [String: Int] {
        try connection.execute("SELECT pg_stat_force_next_flush()")
        // The flush happens when the session goes idle, after the statement above.
        var scans: [String: Int] = [:]
        let rows = try connection.query(
            "SELECT relname::text, seq_scan FROM pg_stat_user_tables WHERE relname = ANY($1::text[])", outputTables
        ) { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        for (table, count) in rows { scans[table] = count }
        return scans
    }

    /// The DBA's state: every table analyzed while the output tables were empty. A job of many
    /// chunks then must not read any output table whole (a per-session foreign-key plan did,
    /// once per inserted row).
    @Test func aJobAfterAnalyzingEmptyOutputTablesNeverScansThemWhole() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            try connection.execute("ANALYZE")
            #expect(try connection.queryValue(
                Int.self, "SELECT count(*) FROM pg_class WHERE relname = 'reimbursement' AND reltuples = 0") == 1)
            let before = try Self.sequentialScans(on: connection)
            try Store.run(job, chunkSize: 4, on: connection)
            let after = try Self.sequentialScans(on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", job, on: connection) >= 10)
            #expect(try Store.count("SELECT count(*) FROM customer_settlement WHERE job_id = $1", job, on: connection) >= 10)
            for table in Self.outputTables {
                #expect(after[table, default: 0] - before[table, default: 0] == 0,
                        "\(table): \(after[table, default: 0] - before[table, default: 0]) sequential scans during the job")
            }
        }
    }

    /// One row pointing at nothing, per moved reference: (constraint, statement).
    static let orphans: [(String, String)] = [
        ("customer_settlement_reimbursement_fk", """
            INSERT INTO customer_settlement (company_id, job_id, reimbursement_id, debit_transaction_id,
                                             credit_transaction_id, currency, amount, amount_accounting, settled_on)
            SELECT company_id, job_id, 999999, debit_transaction_id, credit_transaction_id, currency, amount,
                   amount_accounting, settled_on
              FROM customer_settlement ORDER BY id LIMIT 1
            """),
        ("customer_settlement_reimbursement_fk", """
            UPDATE customer_settlement SET reimbursement_id = 999999 WHERE id = (SELECT max(id) FROM customer_settlement)
            """),
        ("ledger_entry_reimbursement_fk", """
            INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                      amount_accounting, reimbursement_id)
            SELECT company_id, voucher, 99, posting_date, account, posting_type, currency, amount, amount_accounting,
                   999999
              FROM ledger_entry ORDER BY voucher, line LIMIT 1
            """),
        ("ledger_entry_reimbursement_fk", """
            UPDATE ledger_entry SET reimbursement_id = 999999 WHERE line = 1
            """),
        ("reimbursement_reversal_reimbursement_fk", """
            INSERT INTO reimbursement_reversal (company_id, reimbursement_id, job_id, voucher, posting_date, reason,
                                                requested_by)
            SELECT company_id, 999999, job_id, 'X-1', posting_date, 'test', 'tester' FROM reimbursement LIMIT 1
            """),
        ("vendor_payment_invoice_fk", """
            INSERT INTO vendor_payment (company_id, job_id, vendor_invoice_id, preview, end_to_end_id, vendor_account,
                                        currency, amount, amount_accounting, execution_date, creditor_iban)
            SELECT r.company_id, r.job_id, 999999, true, 'E2E', r.vendor_account, r.currency, r.amount,
                   r.amount_accounting, r.posting_date, 'DE89370400440532013000'
              FROM reimbursement r LIMIT 1
            """),
        ("vendor_payment_file_fk", """
            INSERT INTO vendor_payment (company_id, job_id, vendor_invoice_id, payment_file_id, preview, end_to_end_id,
                                        vendor_account, currency, amount, amount_accounting, execution_date,
                                        creditor_iban)
            SELECT r.company_id, r.job_id, r.vendor_invoice_id, 999999, true, 'E2E', r.vendor_account, r.currency,
                   r.amount, r.amount_accounting, r.posting_date, 'DE89370400440532013000'
              FROM reimbursement r LIMIT 1
            """),
    ]

    static func postedDatabase() async throws -> TestDatabase {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(customers: 24, on: connection)
            try Store.run(try LedgerFixture.job(MixedLedger.company, on: connection), chunkSize: 5, on: connection)
        }
        return database
    }

    @Test func aRowPointingAtNothingIsRefusedByTheNamedConstraint() async throws {
        let database = try await Self.postedDatabase()
        try await database.withConnection { connection in
            for (constraint, statement) in Self.orphans {
                do {
                    try connection.execute(statement)
                    Issue.record("accepted: \(statement)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "23503", "\(statement): \(error)")
                    #expect(error.constraintName == constraint, "\(statement): \(error)")
                    #expect(error.message.contains("violates foreign key constraint \"\(constraint)\""))
                    #expect(error.detail?.contains("=(MIX, 999999) is not present in table") == true,
                            "\(String(describing: error.detail))")
                }
            }
            // Rows that point at existing rows pass, and a NULL payment file is no reference.
            try connection.execute("""
                INSERT INTO vendor_payment (company_id, job_id, vendor_invoice_id, preview, end_to_end_id,
                                            vendor_account, currency, amount, amount_accounting, execution_date,
                                            creditor_iban)
                SELECT r.company_id, r.job_id, r.vendor_invoice_id, true, 'E2E', r.vendor_account, r.currency,
                       r.amount, r.amount_accounting, r.posting_date, 'DE89370400440532013000'
                  FROM reimbursement r LIMIT 1
                """)
            #expect(try connection.execute("UPDATE ledger_entry SET reimbursement_id = reimbursement_id").affectedRows > 10)
        }
    }

    @Test func postedRowsAreNeverDeletedTruncatedOrReKeyed() async throws {
        let database = try await Self.postedDatabase()
        try await database.withConnection { connection in
            let attempts: [(constraint: String, statement: String)] = [
                ("reimbursement_never_removed", "DELETE FROM reimbursement WHERE id = (SELECT min(id) FROM reimbursement)"),
                ("reimbursement_never_removed", "UPDATE reimbursement SET id = id + 1000000"),
                ("reimbursement_never_removed", "UPDATE reimbursement SET company_id = 'OTHER'"),
                ("reimbursement_never_removed", "TRUNCATE reimbursement CASCADE"),
                ("vendor_invoice_never_removed", "DELETE FROM vendor_invoice"),
                ("vendor_invoice_never_removed", "UPDATE vendor_invoice SET id = -id"),
                ("vendor_invoice_never_removed", "TRUNCATE vendor_invoice CASCADE"),
                ("payment_file_never_removed", "TRUNCATE payment_file CASCADE"),
            ]
            for (constraint, statement) in attempts {
                do {
                    try connection.execute(statement)
                    Issue.record("accepted: \(statement)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "23001", "\(statement): \(error)")
                    #expect(error.constraintName == constraint, "\(statement): \(error)")
                    #expect(error.message.contains("is posted money"), "\(error.message)")
                }
            }
            // Other columns still change (a payment settles its invoice), and nothing went.
            #expect(try connection.execute("UPDATE vendor_invoice SET due_date = due_date").affectedRows > 0)
            #expect(try connection.execute("UPDATE reimbursement SET id = id, company_id = company_id").affectedRows > 0)
            #expect(try Store.count("SELECT count(*) FROM reimbursement", on: connection) > 0)
        }
    }
}
