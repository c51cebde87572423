import Foundation
import Postgres
import ReimburseTestSupport

/// A deterministic ledger of many customers covering every rule, for the tests that compare
/// whole runs (chunk sizes, resume, row-level security). Built the same way in a fresh
/// database it gets the same transaction ids, so runs can be compared row for row.
enum MixedLedger {
    static let company = "MIX"

    /// Kinds of customer, by `index % 12`.
    static func build(customers: Int = 60, on connection: PostgresConnection) throws {
        try LedgerFixture.company(company, minimum: "5.00", paymentDays: 30, on: connection)
        try connection.execute("""
            UPDATE number_sequence SET prefix = 'MRV', width = 5, next_value = 90 WHERE company_id = $1 AND name = 'reimbursement_voucher'
            """, company)
        for index in 1...customers {
            let account = String(format: "M%03d", index)
            switch index % 12 {
            case 0:  // no transactions at all
                try LedgerFixture.customer(company, account, on: connection)
            case 1:
                try LedgerFixture.customer(company, account, onHold: true, on: connection)
                try LedgerFixture.transaction(company, account, amount: "-15.00", on: connection)
            case 2:
                try LedgerFixture.customer(company, account, on: connection)
                try LedgerFixture.transaction(company, account, amount: "-15.00", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-3.00", marked: true, on: connection)
            case 3:
                try LedgerFixture.customer(company, account, on: connection)
                try LedgerFixture.transaction(company, account, amount: "-40.00", on: connection)
                try LedgerFixture.transaction(company, account, amount: "12.00", on: connection)
            case 4:
                try LedgerFixture.customer(company, account, group: "SMALL", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-4.99", on: connection)
            case 5:
                try LedgerFixture.customer(company, account, on: connection)
                try LedgerFixture.transaction(company, account, amount: "-5.00", on: connection)
            case 6:
                try LedgerFixture.vendor(company, "V-\(account)", on: connection)
                try LedgerFixture.customer(company, account, vendorAccount: "V-\(account)", on: connection)
                try LedgerFixture.transaction(
                    company, account, amount: "-100.00", settled: "-37.50", ledgerAccount: "1200", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-0.01", ledgerAccount: "1300", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-19.99", ledgerAccount: "1300", on: connection)
            case 7:
                try LedgerFixture.customer(company, account, vendorAccount: "NOPE-\(account)", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-77.00", on: connection)
            case 8:
                try LedgerFixture.customer(company, account, on: connection)
                try LedgerFixture.vendor(company, "OT-\(account)-B", oneTimeFor: account, on: connection)
                try LedgerFixture.vendor(company, "OT-\(account)-A", oneTimeFor: account, on: connection)
                try LedgerFixture.transaction(company, account, amount: "-8.00", on: connection)
            case 9:
                try LedgerFixture.customer(company, account, currency: "EUR", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-20.00", on: connection)
                try LedgerFixture.transaction(
                    company, account, amount: "-30.00", accounting: "-33.15", currency: "EUR", on: connection)
                try LedgerFixture.transaction(
                    company, account, amount: "-1.00", accounting: "-1.25", currency: "GBP", on: connection)
            case 10:
                try LedgerFixture.customer(company, account, on: connection)
                try LedgerFixture.transaction(company, account, amount: "250.00", on: connection)
            default:  // 11
                try LedgerFixture.customer(company, account, group: "BIG", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-123456789012.123456", on: connection)
                try LedgerFixture.transaction(company, account, amount: "-9.00", settled: "-9.00", on: connection)
            }
        }
    }

    /// Everything a run wrote, without generated ids of output rows (which legitimately depend
    /// on reservation order) but with numbers, credit ids and amounts, in a stable order.
    static func snapshot(job: Int64, on connection: PostgresConnection) throws -> [String] {
        var lines: [String] = []
        func section(_ title: String, _ sql: String) throws {
            lines.append("== \(title)")
            lines += try Store.rows(sql, company, job, on: connection)
        }
        try section("reimbursement", """
            SELECT customer_account, vendor_account, one_time_vendor_created, currency, amount, amount_accounting,
                   voucher, posting_date
              FROM reimbursement WHERE company_id = $1 AND job_id = $2 ORDER BY voucher
            """)
        try section("vendor_invoice", """
            SELECT i.invoice_number, i.vendor_account, i.voucher, i.invoice_date, i.due_date, i.currency, i.amount,
                   i.amount_accounting, i.settled_amount
              FROM vendor_invoice i JOIN reimbursement r ON r.company_id = i.company_id AND r.id = i.reimbursement_id
             WHERE i.company_id = $1 AND r.job_id = $2 ORDER BY i.invoice_number
            """)
        try section("settlement", """
            SELECT s.credit_transaction_id, r.voucher, d.ledger_account, s.currency, s.amount, s.amount_accounting,
                   s.settled_on
              FROM customer_settlement s
              JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
              JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
             WHERE s.company_id = $1 AND s.job_id = $2 ORDER BY s.credit_transaction_id
            """)
        try section("ledger_entry", """
            SELECT l.voucher, l.line, l.account, l.posting_type, l.currency, l.amount, l.amount_accounting, l.posting_date
              FROM ledger_entry l JOIN reimbursement r ON r.company_id = l.company_id AND r.id = l.reimbursement_id
             WHERE l.company_id = $1 AND r.job_id = $2 ORDER BY l.voucher, l.line
            """)
        try section("skip", """
            SELECT customer_account, currency, reason, credit_balance, credit_balance_accounting
              FROM reimbursement_skip WHERE company_id = $1 AND job_id = $2
             ORDER BY customer_account, currency NULLS FIRST
            """)
        try section("proposal", """
            SELECT customer_account, vendor_account, currency, amount, amount_accounting, credit_transaction_ids
              FROM reimbursement_proposal WHERE company_id = $1 AND job_id = $2 ORDER BY customer_account, currency, id
            """)
        try section("customer_transaction", """
            SELECT id, customer_account, kind, currency, amount, amount_accounting, settled_amount,
                   settled_amount_accounting, coalesce(voucher, ''), ledger_account
              FROM customer_transaction WHERE company_id = $1 AND $2::bigint IS NOT NULL AND kind <> 'reimbursement'
             ORDER BY id
            """)
        try section("vendor", """
            SELECT account, name, vendor_group, currency, address, one_time, customer_account
              FROM vendor WHERE company_id = $1 AND $2::bigint IS NOT NULL ORDER BY account
            """)
        try section("number_sequence", """
            SELECT name, prefix, next_value, width FROM number_sequence
             WHERE company_id = $1 AND $2::bigint IS NOT NULL ORDER BY name
            """)
        try section("job", """
            SELECT state, customers_total, customers_done, result::text, coalesce(last_error, '')
              FROM reimbursement_job WHERE company_id = $1 AND id = $2
            """)
        return lines
    }
}
