/// The checks of PRODUCT.md §8 (reversal): active settlements within settled amounts, every
/// reversal mirroring its original, nothing reversed twice, and reverse jobs' results.
extension LedgerVerifier {
    /// A settlement is active while its reimbursement has no reversal (reversed settlements
    /// stay as history). For queries over `customer_settlement` without an alias.
    static let activeSettlement = """
        NOT EXISTS (SELECT 1 FROM reimbursement_reversal x
                     WHERE x.company_id = customer_settlement.company_id
                       AND x.reimbursement_id = customer_settlement.reimbursement_id)
        """

    private static func filter(_ alias: String) -> String {
        "($1::text IS NULL OR \(alias).company_id = $1::text)"
    }

    static let reversalChecks: [Check] = [
        Check(
            name: "active_settlements_within_settled",
            summary: "no customer transaction's active (unreversed) settlements, on the credit or the debit side and whatever their kind, exceed its settled amount, in either currency",
            sql: """
                WITH taken AS (
                    SELECT s.company_id, s.credit_transaction_id AS id, s.amount, s.amount_accounting, s.id AS settlement
                      FROM customer_settlement s
                     WHERE \(filter("s"))
                    UNION ALL
                    -- The debit side, except a reimbursement's own debit (closed by its voucher).
                    SELECT s.company_id, s.debit_transaction_id, s.amount,
                           coalesce((to_jsonb(s) ->> 'debit_amount_accounting')::numeric, s.amount_accounting), s.id
                      FROM customer_settlement s
                      JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
                      JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
                     WHERE \(filter("s")) AND NOT (d.kind = 'reimbursement' AND d.voucher = r.voucher)),
                active AS (
                    SELECT t.company_id, t.id, sum(t.amount) AS amount, sum(t.amount_accounting) AS amount_accounting,
                           array_agg('customer_settlement ' || t.settlement ORDER BY t.settlement) AS ids
                      FROM taken t
                      JOIN customer_settlement customer_settlement
                        ON customer_settlement.company_id = t.company_id AND customer_settlement.id = t.settlement
                     WHERE \(activeSettlement)
                     GROUP BY t.company_id, t.id)
                SELECT c.company_id,
                       format('transaction %s (amount %s, settled %s, accounting settled %s) carries active settlements of %s (accounting %s), more than its settled amount',
                              c.id, c.amount, c.settled_amount, c.settled_amount_accounting, a.amount, a.amount_accounting),
                       ARRAY['customer_transaction ' || c.id] || a.ids
                  FROM active a
                  JOIN customer_transaction c ON c.company_id = a.company_id AND c.id = a.id
                 WHERE a.amount > abs(c.settled_amount) OR a.amount_accounting > abs(c.settled_amount_accounting)
                 ORDER BY 1, 2
                """),
        Check(
            name: "reversal_mirrors_original",
            summary: "every reversal voucher has exactly the lines of its original with opposite signs (same line numbers, accounts, posting types, currency), dated and numbered as its reversal row; its closing transactions mirror the reimbursement's debits, fully settled; its vendor invoice is cancelled and names it",
            sql: """
                WITH pairs AS (
                    SELECT x.company_id, x.id AS reversal, x.voucher AS mirror, x.posting_date, r.id AS reimbursement,
                           r.voucher AS original, r.vendor_invoice_id, r.customer_account
                      FROM reimbursement_reversal x
                      JOIN reimbursement r ON r.company_id = x.company_id AND r.id = x.reimbursement_id
                     WHERE \(filter("x"))),
                original_lines AS (
                    SELECT p.reversal, array_agg(format('%s/%s/%s/%s/%s/%s', e.line, e.account, e.posting_type, e.currency,
                                                        -e.amount, -e.amount_accounting) ORDER BY e.line) AS lines
                      FROM pairs p JOIN ledger_entry e ON e.company_id = p.company_id AND e.voucher = p.original
                     GROUP BY p.reversal),
                mirror_lines AS (
                    SELECT p.reversal, array_agg(format('%s/%s/%s/%s/%s/%s', e.line, e.account, e.posting_type, e.currency,
                                                      e.amount, e.amount_accounting) ORDER BY e.line) AS lines,
                           bool_and(e.reversal_id = p.reversal AND e.reimbursement_id = p.reimbursement
                                    AND e.posting_date = p.posting_date) AS linked
                      FROM pairs p JOIN ledger_entry e ON e.company_id = p.company_id AND e.voucher = p.mirror
                     GROUP BY p.reversal),
                original_debits AS (
                    SELECT p.reversal, array_agg(format('%s/%s/%s', t.ledger_account, -t.amount, -t.amount_accounting)
                                                 ORDER BY t.ledger_account, t.id) AS debits
                      FROM pairs p JOIN customer_transaction t
                        ON t.company_id = p.company_id AND t.customer_account = p.customer_account
                       AND t.voucher = p.original AND t.kind = 'reimbursement'
                     GROUP BY p.reversal),
                closings AS (
                    SELECT p.reversal, array_agg(format('%s/%s/%s', t.ledger_account, t.amount, t.amount_accounting)
                                                 ORDER BY t.ledger_account, t.id) AS debits,
                           bool_and(t.settled_amount = t.amount AND t.settled_amount_accounting = t.amount_accounting
                                    AND t.transaction_date = p.posting_date) AS closed
                      FROM pairs p JOIN customer_transaction t
                        ON t.company_id = p.company_id AND t.customer_account = p.customer_account
                       AND t.voucher = p.mirror AND t.kind = 'reimbursement_reversal'
                     GROUP BY p.reversal)
                SELECT p.company_id,
                       format('reversal %s of reimbursement %s (voucher %s mirrors %s): %s', p.reversal, p.reimbursement,
                              p.mirror, p.original,
                              concat_ws('; ',
                                  CASE WHEN m.lines IS DISTINCT FROM o.lines OR NOT m.linked
                                       THEN format('its lines %s are not the original''s %s reversed', m.lines, o.lines) END,
                                  CASE WHEN c.debits IS DISTINCT FROM d.debits OR NOT c.closed
                                       THEN format('its closing transactions %s do not close the debits %s', c.debits, d.debits) END,
                                  CASE WHEN vi.id IS NULL OR vi.reversal_id IS DISTINCT FROM p.reversal
                                         OR vi.settled_amount <> vi.amount
                                       THEN format('vendor invoice %s is not cancelled by it', p.vendor_invoice_id) END)),
                       ARRAY['reimbursement_reversal ' || p.reversal, 'reimbursement ' || p.reimbursement]
                  FROM pairs p
                  LEFT JOIN original_lines o ON o.reversal = p.reversal
                  LEFT JOIN mirror_lines m ON m.reversal = p.reversal
                  LEFT JOIN original_debits d ON d.reversal = p.reversal
                  LEFT JOIN closings c ON c.reversal = p.reversal
                  LEFT JOIN vendor_invoice vi ON vi.company_id = p.company_id AND vi.id = p.vendor_invoice_id
                 WHERE m.lines IS DISTINCT FROM o.lines OR NOT coalesce(m.linked, false)
                    OR c.debits IS DISTINCT FROM d.debits OR NOT coalesce(c.closed, false)
                    OR vi.id IS NULL OR vi.reversal_id IS DISTINCT FROM p.reversal OR vi.settled_amount <> vi.amount
                UNION ALL
                SELECT e.company_id,
                       format('ledger line %s/%s names reversal %s, which has another voucher or does not exist',
                              e.voucher, e.line, e.reversal_id),
                       ARRAY['ledger_entry ' || e.voucher || '/' || e.line]
                  FROM ledger_entry e
                  LEFT JOIN reimbursement_reversal x ON x.company_id = e.company_id AND x.id = e.reversal_id
                 WHERE \(filter("e")) AND e.reversal_id IS NOT NULL AND (x.id IS NULL OR x.voucher <> e.voucher)
                 ORDER BY 1, 2
                """),
        Check(
            name: "reversed_once",
            summary: "no reimbursement is reversed twice: one reversal per reimbursement, its voucher used by nothing else, and an invoice cancelled only by its own reimbursement's reversal",
            sql: """
                SELECT x.company_id,
                       format('reimbursement %s is reversed %s times', x.reimbursement_id, count(*)),
                       array_agg('reimbursement_reversal ' || x.id ORDER BY x.id)
                  FROM reimbursement_reversal x
                 WHERE \(filter("x"))
                 GROUP BY x.company_id, x.reimbursement_id
                HAVING count(*) > 1
                UNION ALL
                SELECT x.company_id,
                       format('reversal %s uses voucher %s, which reimbursement %s uses too', x.id, x.voucher, r.id),
                       ARRAY['reimbursement_reversal ' || x.id, 'reimbursement ' || r.id]
                  FROM reimbursement_reversal x
                  JOIN reimbursement r ON r.company_id = x.company_id AND r.voucher = x.voucher
                 WHERE \(filter("x"))
                UNION ALL
                SELECT vi.company_id,
                       format('vendor invoice %s (reimbursement %s) names reversal %s, which reverses %s',
                              vi.id, vi.reimbursement_id, vi.reversal_id, coalesce(x.reimbursement_id::text, 'nothing')),
                       ARRAY['vendor_invoice ' || vi.id]
                  FROM vendor_invoice vi
                  LEFT JOIN reimbursement_reversal x ON x.company_id = vi.company_id AND x.id = vi.reversal_id
                 WHERE \(filter("vi")) AND vi.reversal_id IS NOT NULL
                   AND x.reimbursement_id IS DISTINCT FROM vi.reimbursement_id
                 ORDER BY 1, 2
                """),
        Check(
            name: "reversal_job_result_matches_postings",
            summary: "every reverse job's result (reversals, totals per currency) matches the reversals it posted; reverse previews post none",
            sql: """
                WITH posted AS (
                    SELECT t.company_id, t.job_id,
                           jsonb_object_agg(t.currency, jsonb_build_array(t.amount, t.amount_accounting)) AS totals
                      FROM (SELECT x.company_id, x.job_id, r.currency::text AS currency, sum(r.amount) AS amount,
                                   sum(r.amount_accounting) AS amount_accounting
                              FROM reimbursement_reversal x
                              JOIN reimbursement r ON r.company_id = x.company_id AND r.id = x.reimbursement_id
                             WHERE \(filter("x"))
                             GROUP BY x.company_id, x.job_id, r.currency) t
                     GROUP BY t.company_id, t.job_id),
                counted AS (
                    SELECT company_id, job_id, sum(n) AS n FROM (
                        SELECT x.company_id, x.job_id, 1 AS n FROM reimbursement_reversal x WHERE \(filter("x"))) c
                     GROUP BY company_id, job_id),
                jobs AS (
                    SELECT j.company_id, j.id, j.mode, j.state,
                           CASE WHEN j.result ->> 'reversals' ~ '^[0-9]+$' THEN (j.result ->> 'reversals')::numeric END AS n,
                           (SELECT jsonb_object_agg(key, jsonb_build_array((value ->> 'amount')::numeric,
                                                                           (value ->> 'amount_accounting')::numeric))
                              FROM jsonb_each(CASE WHEN jsonb_typeof(j.result -> 'totals') = 'object'
                                                   THEN j.result -> 'totals' ELSE '{}'::jsonb END)) AS totals
                      FROM reimbursement_job j
                     WHERE \(filter("j")) AND j.operation = 'reverse' AND j.result ? 'reversal')
                SELECT j.company_id,
                       CASE WHEN j.mode = 'preview'
                            THEN format('reverse preview job %s (%s) posted %s reversals', j.id, j.state, c.n)
                            ELSE format('reverse job %s (%s): its result counts %s reversals (totals %s), %s are posted (totals %s)',
                                        j.id, j.state, coalesce(j.n::text, 'no'), coalesce(j.totals, '{}'),
                                        coalesce(c.n, 0), coalesce(p.totals, '{}')) END,
                       ARRAY['reimbursement_job ' || j.id]
                  FROM jobs j
                  LEFT JOIN counted c ON c.company_id = j.company_id AND c.job_id = j.id
                  LEFT JOIN posted p ON p.company_id = j.company_id AND p.job_id = j.id
                 WHERE (j.mode = 'preview' AND c.n IS NOT NULL)
                    OR (j.mode = 'post' AND (j.n IS DISTINCT FROM coalesce(c.n, 0)
                                             OR coalesce(j.totals, '{}') <> coalesce(p.totals, '{}')))
                 ORDER BY 1, 2
                """),
    ]
}
