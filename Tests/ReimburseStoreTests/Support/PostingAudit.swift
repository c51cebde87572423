import Postgres
import Testing

/// The rules of PRODUCT.md §1.8 that every posted reimbursement must satisfy, checked in SQL
/// over everything a company has posted. Each check returns the offending rows; all must be
/// empty. Tests call ``expectConsistent(company:on:)`` after every posting run, so that every
/// scenario, not only the dedicated ones, is held to the full posting contract.
enum PostingAudit {
    static let checks: [(name: String, sql: String)] = [
        ("each voucher sums to zero in both currencies", """
            SELECT voucher, sum(amount), sum(amount_accounting) FROM ledger_entry WHERE company_id = $1
             GROUP BY voucher HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0
            """),
        ("a reimbursement has exactly its vendor invoice: open, same vendor, currency, amounts and voucher, "
            + "invoiced on the posting date and due after the company's payment days", """
            SELECT r.id FROM reimbursement r
              JOIN company c ON c.id = r.company_id
              LEFT JOIN vendor_invoice i ON i.company_id = r.company_id AND i.id = r.vendor_invoice_id
             WHERE r.company_id = $1
               AND (i.id IS NULL OR i.reimbursement_id IS DISTINCT FROM r.id
                    OR i.vendor_account <> r.vendor_account OR i.currency <> r.currency
                    OR i.amount <> r.amount OR i.amount_accounting <> r.amount_accounting
                    OR i.settled_amount <> 0 OR i.voucher <> r.voucher
                    OR i.invoice_date <> r.posting_date
                    OR i.due_date <> r.posting_date + c.reimbursement_payment_days
                    OR (SELECT count(*) FROM vendor_invoice x
                         WHERE x.company_id = r.company_id AND x.reimbursement_id = r.id) <> 1)
            """),
        ("every vendor invoice belongs to a reimbursement and its vendor exists", """
            SELECT i.id FROM vendor_invoice i
             WHERE i.company_id = $1
               AND (NOT EXISTS (SELECT 1 FROM reimbursement r WHERE r.company_id = i.company_id AND r.id = i.reimbursement_id)
                    OR NOT EXISTS (SELECT 1 FROM vendor v WHERE v.company_id = i.company_id AND v.account = i.vendor_account))
            """),
        ("a settlement settles a credit of the reimbursement's customer and currency, on the posting date", """
            SELECT s.id FROM customer_settlement s
              JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
              LEFT JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
             WHERE s.company_id = $1
               AND (c.id IS NULL OR c.amount >= 0 OR c.customer_account <> r.customer_account
                    OR c.currency <> r.currency OR s.currency <> r.currency OR s.job_id <> r.job_id
                    OR s.settled_on <> r.posting_date OR s.amount <= 0 OR s.amount_accounting < 0)
            """),
        ("one settlement per credit, ever", """
            SELECT credit_transaction_id FROM customer_settlement WHERE company_id = $1
             GROUP BY credit_transaction_id HAVING count(*) > 1
            """),
        ("a settled credit is settled exactly by its settlement, in both currencies", """
            SELECT c.id FROM customer_transaction c
              JOIN customer_settlement s ON s.company_id = c.company_id AND s.credit_transaction_id = c.id
             WHERE c.company_id = $1
               AND (c.settled_amount <> c.amount OR c.settled_amount_accounting <> c.amount_accounting)
            """),
        ("the settlement's debit is the reimbursement's debit on the credit's ledger account", """
            SELECT s.id FROM customer_settlement s
              JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
              JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
              LEFT JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
             WHERE s.company_id = $1
               AND (d.id IS NULL OR d.kind <> 'reimbursement' OR d.voucher <> r.voucher
                    OR d.ledger_account <> c.ledger_account OR d.customer_account <> r.customer_account)
            """),
        ("a reimbursement debit is fully settled, dated the posting date, and equals its settlements", """
            SELECT d.id FROM customer_transaction d
              JOIN reimbursement r ON r.company_id = d.company_id AND r.voucher = d.voucher
             WHERE d.company_id = $1 AND d.kind = 'reimbursement'
               AND (d.amount <= 0 OR d.settled_amount <> d.amount
                    OR d.settled_amount_accounting <> d.amount_accounting OR d.currency <> r.currency
                    OR d.transaction_date <> r.posting_date OR d.marked_for_settlement
                    OR d.amount IS DISTINCT FROM (SELECT sum(s.amount) FROM customer_settlement s
                        WHERE s.company_id = d.company_id AND s.debit_transaction_id = d.id)
                    OR d.amount_accounting IS DISTINCT FROM (SELECT sum(s.amount_accounting) FROM customer_settlement s
                        WHERE s.company_id = d.company_id AND s.debit_transaction_id = d.id))
            """),
        ("one reimbursement debit per distinct ledger account of the settled credits", """
            SELECT r.id FROM reimbursement r
             WHERE r.company_id = $1
               AND ((SELECT count(*) FROM customer_transaction d
                      WHERE d.company_id = r.company_id AND d.kind = 'reimbursement' AND d.voucher = r.voucher)
                    <> (SELECT count(DISTINCT c.ledger_account) FROM customer_settlement s
                          JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
                         WHERE s.company_id = r.company_id AND s.reimbursement_id = r.id)
                    OR (SELECT count(DISTINCT d.ledger_account) FROM customer_transaction d
                         WHERE d.company_id = r.company_id AND d.kind = 'reimbursement' AND d.voucher = r.voucher)
                    <> (SELECT count(*) FROM customer_transaction d
                         WHERE d.company_id = r.company_id AND d.kind = 'reimbursement' AND d.voucher = r.voucher))
            """),
        ("the reimbursement amounts are the sums of its settlements", """
            SELECT r.id FROM reimbursement r
             WHERE r.company_id = $1
               AND (r.amount IS DISTINCT FROM (SELECT sum(s.amount) FROM customer_settlement s
                                                 WHERE s.company_id = r.company_id AND s.reimbursement_id = r.id)
                    OR r.amount_accounting IS DISTINCT FROM (SELECT sum(s.amount_accounting) FROM customer_settlement s
                                                 WHERE s.company_id = r.company_id AND s.reimbursement_id = r.id))
            """),
        ("voucher: one customer_reimbursement debit line per reimbursement debit (same account and amounts), "
            + "then one vendor_balance credit line on the summary account, lines 1..n", """
            SELECT r.id FROM reimbursement r
              JOIN company co ON co.id = r.company_id
             WHERE r.company_id = $1
               AND (
                 (SELECT array_agg(l.account || '/' || l.amount || '/' || l.amount_accounting ORDER BY l.line)
                    FROM ledger_entry l
                   WHERE l.company_id = r.company_id AND l.voucher = r.voucher AND l.posting_type = 'customer_reimbursement')
                 IS DISTINCT FROM
                 (SELECT array_agg(d.ledger_account || '/' || d.amount || '/' || d.amount_accounting ORDER BY d.ledger_account)
                    FROM customer_transaction d
                   WHERE d.company_id = r.company_id AND d.kind = 'reimbursement' AND d.voucher = r.voucher)
                 OR (SELECT count(*) FROM ledger_entry l
                      WHERE l.company_id = r.company_id AND l.voucher = r.voucher AND l.posting_type = 'vendor_balance'
                        AND l.account = co.vendor_summary_account AND l.amount = -r.amount
                        AND l.amount_accounting = -r.amount_accounting) <> 1
                 OR (SELECT count(*) FROM ledger_entry l
                      WHERE l.company_id = r.company_id AND l.voucher = r.voucher AND l.posting_type = 'vendor_balance') <> 1
                 OR EXISTS (SELECT 1 FROM ledger_entry l
                             WHERE l.company_id = r.company_id AND l.voucher = r.voucher
                               AND (l.reimbursement_id <> r.id OR l.currency <> r.currency
                                    OR l.posting_date <> r.posting_date))
                 OR (SELECT array_agg(l.line ORDER BY l.line) FROM ledger_entry l
                      WHERE l.company_id = r.company_id AND l.voucher = r.voucher)
                    IS DISTINCT FROM
                    (SELECT array_agg(n) FROM generate_series(1,
                        (SELECT count(*)::int FROM ledger_entry l WHERE l.company_id = r.company_id AND l.voucher = r.voucher)) n)
                 OR (SELECT max(l.line) FROM ledger_entry l WHERE l.company_id = r.company_id AND l.voucher = r.voucher
                        AND l.posting_type = 'customer_reimbursement')
                    >= (SELECT min(l.line) FROM ledger_entry l WHERE l.company_id = r.company_id AND l.voucher = r.voucher
                        AND l.posting_type = 'vendor_balance'))
            """),
        ("no ledger line, settlement or debit without its reimbursement", """
            SELECT 'ledger ' || l.voucher FROM ledger_entry l
             WHERE l.company_id = $1
               AND NOT EXISTS (SELECT 1 FROM reimbursement r WHERE r.company_id = l.company_id AND r.voucher = l.voucher)
            UNION ALL
            SELECT 'debit ' || d.id FROM customer_transaction d
             WHERE d.company_id = $1 AND d.kind = 'reimbursement'
               AND NOT EXISTS (SELECT 1 FROM reimbursement r WHERE r.company_id = d.company_id AND r.voucher = d.voucher)
            """),
        ("no credit is partly settled by a reimbursement (settled in full, or not touched)", """
            SELECT c.id FROM customer_transaction c
             WHERE c.company_id = $1 AND c.amount < 0
               AND EXISTS (SELECT 1 FROM customer_settlement s
                            WHERE s.company_id = c.company_id AND s.credit_transaction_id = c.id)
               AND c.amount <> c.settled_amount
            """),
        ("a reimbursement's vendor exists; a one-time vendor created by the job is flagged", """
            SELECT r.id FROM reimbursement r
              LEFT JOIN vendor v ON v.company_id = r.company_id AND v.account = r.vendor_account
             WHERE r.company_id = $1
               AND (v.account IS NULL
                    OR (r.one_time_vendor_created AND NOT (v.one_time AND v.customer_account = r.customer_account)))
            """),
    ]

    /// Records an issue for every rule that some posted row breaks.
    static func expectConsistent(
        company: String, on connection: PostgresConnection, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for check in checks {
            let offenders = try Store.rows(check.sql, company, on: connection)
            #expect(offenders.isEmpty, "\(company): \(check.name): \(offenders.prefix(5))", sourceLocation: sourceLocation)
        }
    }
}
