/// The checks of PRODUCT.md section 9 (payment runs): each invoice paid at most once and in
/// full, each payment's voucher, the files' counts and sums equal their payments, and the
/// `payment_voucher` sequence gap-free.
extension LedgerVerifier {
    private static func paymentFilter(_ alias: String) -> String {
        "($1::text IS NULL OR \(alias).company_id = $1::text)"
    }

    static let paymentChecks: [Check] = [
        Check(
            name: "invoice_paid_once",
            summary: "each vendor invoice has at most one payment (previews aside), and a paid invoice is settled in full by it",
            sql: """
                SELECT p.company_id,
                       format('vendor invoice %s has %s payments', p.vendor_invoice_id, count(*)),
                       array_agg('vendor_payment ' || p.id ORDER BY p.id)
                  FROM vendor_payment p
                 WHERE \(paymentFilter("p")) AND NOT p.preview
                 GROUP BY p.company_id, p.vendor_invoice_id HAVING count(*) > 1
                UNION ALL
                SELECT p.company_id,
                       format('vendor invoice %s was paid %s %s by payment %s but is settled %s of %s',
                              i.id, p.amount, p.currency, p.id, i.settled_amount, i.amount),
                       ARRAY['vendor_payment ' || p.id, 'vendor_invoice ' || i.id]
                  FROM vendor_payment p
                  JOIN vendor_invoice i ON i.company_id = p.company_id AND i.id = p.vendor_invoice_id
                 WHERE \(paymentFilter("p")) AND NOT p.preview
                   AND (i.settled_amount <> i.amount OR p.amount <> i.amount OR p.currency <> i.currency)
                 ORDER BY 1, 2
                """,
            needs: ["vendor_payment"]),
        Check(
            name: "payment_matches_voucher",
            summary: "every payment has a balanced voucher debiting its amount as vendor_payment and crediting it as bank; every payment line points at a payment of its voucher; previews post none",
            sql: """
                WITH lines AS (
                    SELECT company_id, voucher, vendor_payment_id,
                           sum(amount) FILTER (WHERE posting_type = 'vendor_payment') AS debit,
                           -sum(amount) FILTER (WHERE posting_type = 'bank') AS credit,
                           sum(amount_accounting) FILTER (WHERE posting_type = 'vendor_payment') AS debit_accounting,
                           -sum(amount_accounting) FILTER (WHERE posting_type = 'bank') AS credit_accounting
                      FROM ledger_entry
                     WHERE \(paymentFilter("ledger_entry")) AND vendor_payment_id IS NOT NULL
                     GROUP BY company_id, voucher, vendor_payment_id)
                SELECT p.company_id,
                       format('payment %s (voucher %s, %s %s): its voucher debits %s and credits %s',
                              p.id, coalesce(p.voucher, 'none'), p.amount, p.currency,
                              coalesce(l.debit::text, 'nothing'), coalesce(l.credit::text, 'nothing')),
                       ARRAY['vendor_payment ' || p.id]
                  FROM vendor_payment p
                  LEFT JOIN lines l ON l.company_id = p.company_id AND l.vendor_payment_id = p.id
                 WHERE \(paymentFilter("p"))
                   AND CASE WHEN p.preview THEN l.voucher IS NOT NULL
                            ELSE l.voucher IS DISTINCT FROM p.voucher OR l.debit IS DISTINCT FROM p.amount
                                 OR l.credit IS DISTINCT FROM p.amount
                                 OR l.debit_accounting IS DISTINCT FROM p.amount_accounting
                                 OR l.credit_accounting IS DISTINCT FROM p.amount_accounting END
                UNION ALL
                SELECT e.company_id,
                       format('ledger line %s/%s names payment %s, which has another voucher or does not exist',
                              e.voucher, e.line, e.vendor_payment_id),
                       ARRAY['ledger_entry ' || e.voucher || '/' || e.line]
                  FROM ledger_entry e
                  LEFT JOIN vendor_payment p ON p.company_id = e.company_id AND p.id = e.vendor_payment_id
                 WHERE \(paymentFilter("e")) AND e.vendor_payment_id IS NOT NULL
                   AND (p.id IS NULL OR p.voucher IS DISTINCT FROM e.voucher)
                 ORDER BY 1, 2
                """,
            needs: ["vendor_payment"]),
        Check(
            name: "payment_file_matches_payments",
            summary: "each payment file counts and sums exactly its payments, in its currency; every payment of a finished pay job is in a file of that job",
            sql: """
                WITH sums AS (
                    SELECT company_id, p.payment_file_id, count(*) AS n, sum(p.amount) AS total,
                           bool_and(p.currency = c.currency) AS same_currency, bool_or(p.job_id <> c.job_id) AS other_job
                      FROM vendor_payment p
                      JOIN payment_file c USING (company_id)
                     WHERE c.id = p.payment_file_id AND \(paymentFilter("p"))
                     GROUP BY company_id, p.payment_file_id)
                SELECT f.company_id,
                       format('payment file %s (%s, job %s) says %s transfers summing %s; its payments are %s summing %s',
                              f.id, f.currency, f.job_id, f.transactions, f.control_sum, coalesce(s.n, 0),
                              coalesce(s.total::text, 'nothing')),
                       ARRAY['payment_file ' || f.id]
                  FROM payment_file f
                  LEFT JOIN sums s ON s.company_id = f.company_id AND s.payment_file_id = f.id
                 WHERE \(paymentFilter("f"))
                   AND (s.n IS DISTINCT FROM f.transactions::bigint OR s.total IS DISTINCT FROM f.control_sum
                        OR NOT s.same_currency OR s.other_job)
                UNION ALL
                SELECT p.company_id,
                       format('payment %s of job %s (%s) is in no payment file', p.id, p.job_id, j.state),
                       ARRAY['vendor_payment ' || p.id]
                  FROM vendor_payment p
                  JOIN reimbursement_job j ON j.company_id = p.company_id AND j.id = p.job_id
                 WHERE \(paymentFilter("p")) AND p.payment_file_id IS NULL AND j.state IN ('succeeded', 'cancelled')
                 ORDER BY 1, 2
                """,
            needs: ["vendor_payment", "payment_file"]),
        sequenceCheck(
            name: "payment_voucher_sequence", sequence: "payment_voucher", what: "payment voucher",
            source: "SELECT company_id, voucher AS number, 'vendor_payment ' || id AS ref FROM vendor_payment WHERE voucher IS NOT NULL"),
    ]
}
