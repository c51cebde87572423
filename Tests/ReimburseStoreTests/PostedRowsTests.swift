import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// The rows of one reimbursement, exactly as PRODUCT.md §1.8 describes them, and the numbers
/// they carry.
@Suite("Posted rows")
struct PostedRowsTests {
    @Test func oneReimbursementRowByRow() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("POST", summaryAccount: "2110", paymentDays: 10, on: connection)
            try LedgerFixture.vendor("POST", "V-100", on: connection)
            try LedgerFixture.customer("POST", "C100", vendorAccount: "V-100", on: connection)
            // EUR credits of a USD company, partly settled, on two ledger accounts; an old
            // settled credit and an unrelated customer's credit stay as they are.
            let first = try LedgerFixture.transaction(
                "POST", "C100", amount: "-100.00", accounting: "-110.00", currency: "EUR", settled: "-40.00",
                settledAccounting: "-44.00", ledgerAccount: "1200", on: connection)
            let second = try LedgerFixture.transaction(
                "POST", "C100", amount: "-25.50", accounting: "-28.05", currency: "EUR", ledgerAccount: "1300",
                on: connection)
            let third = try LedgerFixture.transaction(
                "POST", "C100", amount: "-4.50", accounting: "-4.95", currency: "EUR", ledgerAccount: "1200",
                on: connection)
            let old = try LedgerFixture.transaction(
                "POST", "C100", amount: "-9.00", accounting: "-9.90", currency: "EUR", settled: "-9.00",
                settledAccounting: "-9.90", ledgerAccount: "1200", on: connection)
            let job = try LedgerFixture.job("POST", postingDate: "2026-12-28", on: connection)
            try Store.run(job, on: connection)

            let reimbursementID = try #require(try connection.queryValue(
                Int64.self, "SELECT id FROM reimbursement WHERE job_id = $1", job))
            let invoiceID = try #require(try connection.queryValue(
                Int64.self, "SELECT id FROM vendor_invoice WHERE reimbursement_id = $1", reimbursementID))
            #expect(try Store.rows("""
                SELECT company_id, job_id, customer_account, vendor_account, one_time_vendor_created, currency, amount,
                       amount_accounting, voucher, posting_date, vendor_invoice_id
                  FROM reimbursement
                """, on: connection)
                == ["POST|\(job)|C100|V-100|f|EUR|90.000000|99.000000|RV-00000001|2026-12-28|\(invoiceID)"])
            // Payment days cross the year end.
            #expect(try Store.rows("""
                SELECT vendor_account, invoice_number, voucher, invoice_date, due_date, currency, amount,
                       amount_accounting, settled_amount, reimbursement_id
                  FROM vendor_invoice
                """, on: connection)
                == ["V-100|VI-00000001|RV-00000001|2026-12-28|2027-01-07|EUR|90.000000|99.000000|0.000000|\(reimbursementID)"])
            // One reimbursement debit per ledger account, fully settled, carrying the voucher.
            let debits = try Store.rows("""
                SELECT ledger_account, customer_account, voucher, transaction_date, kind, currency, amount,
                       amount_accounting, settled_amount, settled_amount_accounting, marked_for_settlement
                  FROM customer_transaction WHERE kind = 'reimbursement' ORDER BY ledger_account
                """, on: connection)
            #expect(debits == [
                "1200|C100|RV-00000001|2026-12-28|reimbursement|EUR|64.500000|70.950000|64.500000|70.950000|f",
                "1300|C100|RV-00000001|2026-12-28|reimbursement|EUR|25.500000|28.050000|25.500000|28.050000|f",
            ])
            // One settlement per credit, against the debit of its ledger account, by exactly what
            // remained open.
            #expect(try Store.rows("""
                SELECT s.credit_transaction_id, d.ledger_account, s.job_id, s.reimbursement_id, s.currency, s.amount,
                       s.amount_accounting, s.settled_on
                  FROM customer_settlement s JOIN customer_transaction d ON d.id = s.debit_transaction_id
                 ORDER BY s.credit_transaction_id
                """, on: connection) == [
                    "\(first)|1200|\(job)|\(reimbursementID)|EUR|60.000000|66.000000|2026-12-28",
                    "\(second)|1300|\(job)|\(reimbursementID)|EUR|25.500000|28.050000|2026-12-28",
                    "\(third)|1200|\(job)|\(reimbursementID)|EUR|4.500000|4.950000|2026-12-28",
                ])
            #expect(try Store.rows("""
                SELECT id, settled_amount, settled_amount_accounting FROM customer_transaction
                 WHERE kind <> 'reimbursement' ORDER BY id
                """, on: connection) == [
                    "\(first)|-100.000000|-110.000000",
                    "\(second)|-25.500000|-28.050000",
                    "\(third)|-4.500000|-4.950000",
                    "\(old)|-9.000000|-9.900000",
                ])
            // The voucher: a debit line per ledger account, the credit line to the summary account.
            #expect(try Store.rows("""
                SELECT voucher, line, posting_date, account, posting_type, currency, amount, amount_accounting,
                       reimbursement_id = $1
                  FROM ledger_entry ORDER BY line
                """, reimbursementID, on: connection) == [
                    "RV-00000001|1|2026-12-28|1200|customer_reimbursement|EUR|64.500000|70.950000|t",
                    "RV-00000001|2|2026-12-28|1300|customer_reimbursement|EUR|25.500000|28.050000|t",
                    "RV-00000001|3|2026-12-28|2110|vendor_balance|EUR|-90.000000|-99.000000|t",
                ])
            // The report view sees it as an open payable.
            #expect(try Store.rows("""
                SELECT customer_account, vendor_account, currency, amount, invoice_number, open_amount, status
                  FROM reimbursement_report
                """, on: connection) == ["C100|V-100|EUR|90.000000|VI-00000001|90.000000|open"])
            #expect(try Store.rows(
                "SELECT name, next_value FROM number_sequence WHERE company_id = 'POST' ORDER BY name", on: connection)
                == ["one_time_vendor|1", "payment_voucher|1", "reimbursement_voucher|2", "vendor_invoice|2"])
            try PostingAudit.expectConsistent(company: "POST", on: connection)
        }
    }

    /// A number is the prefix and the value zero-padded to the width; a longer value is kept
    /// whole. Sequences advance by exactly what was used, across chunks.
    @Test func numbersAreFormattedAndGapFree() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("NUM", on: connection)
            try connection.execute("""
                UPDATE number_sequence s SET prefix = v.prefix, width = v.width, next_value = v.next_value
                  FROM (VALUES ('reimbursement_voucher', 'RV/', 3, 998::bigint),
                               ('vendor_invoice', '', 1, 9::bigint),
                               ('one_time_vendor', 'OTV-2026-', 30, 1::bigint)) AS v(name, prefix, width, next_value)
                 WHERE s.company_id = 'NUM' AND s.name = v.name
                """)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("NUM", account, on: connection)
                try LedgerFixture.transaction("NUM", account, amount: "-10", on: connection)
            }
            // A customer skipped between them takes no number.
            try LedgerFixture.customer("NUM", "C2-HOLD", onHold: true, on: connection)
            try LedgerFixture.transaction("NUM", "C2-HOLD", amount: "-10", on: connection)
            let job = try LedgerFixture.job("NUM", on: connection)
            try Store.run(job, chunkSize: 1, on: connection)
            let padded = String(repeating: "0", count: 29)
            #expect(try Store.rows("""
                SELECT r.customer_account, r.voucher, i.invoice_number, r.vendor_account
                  FROM reimbursement r JOIN vendor_invoice i ON i.id = r.vendor_invoice_id ORDER BY 1
                """, on: connection) == [
                    "C1|RV/998|9|OTV-2026-\(padded)1",
                    "C2|RV/999|10|OTV-2026-\(padded)2",
                    "C3|RV/1000|11|OTV-2026-\(padded)3",
                ])
            #expect(try Store.rows(
                "SELECT name, next_value FROM number_sequence WHERE company_id = 'NUM' ORDER BY name", on: connection)
                == ["one_time_vendor|4", "payment_voucher|1", "reimbursement_voucher|1001", "vendor_invoice|12"])
        }
    }
}
