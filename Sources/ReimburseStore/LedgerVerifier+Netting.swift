extension LedgerVerifier {
    private static func filtered(_ alias: String) -> String {
        companyFilter.replacingOccurrences(of: "company_id", with: "\(alias).company_id")
    }

    /// The checks of netting (PRODUCT.md §7), run after the others.
    static let nettingChecks: [Check] = [
        Check(
            name: "netting_settles_both_sides",
            summary: "every netting piece names an open-able debit and credit of the reimbursement's customer and currency and records both sides' accounting amounts; each debit is settled at least by its active (unreversed) netting pieces, in both currencies",
            sql: """
                SELECT s.company_id,
                       format('netting settlement %s of reimbursement %s (customer %s, %s): %s',
                              s.id, s.reimbursement_id, r.customer_account, r.currency,
                              concat_ws('; ',
                                  CASE WHEN d.id IS NULL THEN format('debit %s does not exist', s.debit_transaction_id) END,
                                  CASE WHEN d.amount <= 0 THEN format('transaction %s is not a debit', d.id) END,
                                  CASE WHEN d.customer_account <> r.customer_account
                                       THEN format('debit %s belongs to customer %s', d.id, d.customer_account) END,
                                  CASE WHEN d.currency <> r.currency
                                       THEN format('debit %s is in %s', d.id, d.currency) END,
                                  CASE WHEN s.debit_amount_accounting IS NULL
                                       THEN 'it has no debit_amount_accounting' END)),
                       array_remove(ARRAY['customer_settlement ' || s.id, 'reimbursement ' || s.reimbursement_id,
                                          'customer_transaction ' || s.debit_transaction_id], NULL)
                  FROM customer_settlement s
                  JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
                  LEFT JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
                 WHERE s.kind = 'netting' AND \(filtered("s"))
                   AND (d.id IS NULL OR d.amount <= 0 OR d.customer_account <> r.customer_account
                        OR d.currency <> r.currency OR s.debit_amount_accounting IS NULL)
                UNION ALL
                SELECT t.company_id,
                       format('debit %s (amount %s, settled %s, accounting settled %s) is netted for %s (accounting %s), more than its settled amount',
                              t.id, t.amount, t.settled_amount, t.settled_amount_accounting, n.amount, n.amount_accounting),
                       ARRAY['customer_transaction ' || t.id] || n.ids
                  FROM (SELECT company_id, debit_transaction_id, sum(amount) AS amount,
                               sum(debit_amount_accounting) AS amount_accounting,
                               array_agg('customer_settlement ' || id ORDER BY id) AS ids
                          FROM customer_settlement
                         WHERE kind = 'netting' AND \(companyFilter) AND \(activeSettlement)
                         GROUP BY company_id, debit_transaction_id) n
                  JOIN customer_transaction t ON t.company_id = n.company_id AND t.id = n.debit_transaction_id
                 WHERE n.amount > t.settled_amount OR n.amount_accounting > t.settled_amount_accounting
                 ORDER BY 1, 2
                """),
        Check(
            name: "netting_matches_voucher",
            summary: "the netting lines of every voucher balance on their own: customer_netting lines sum to zero in amount, and with the exchange_difference lines to zero in accounting currency; its exchange difference account carries the difference between the netting pieces' two sides",
            sql: """
                WITH lines AS (
                    SELECT e.company_id, e.reimbursement_id, e.voucher,
                           coalesce(sum(e.amount) FILTER (WHERE e.posting_type = 'customer_netting'), 0) AS netting_amount,
                           coalesce(sum(e.amount_accounting)
                               FILTER (WHERE e.posting_type IN ('customer_netting', 'exchange_difference')), 0) AS netting_accounting,
                           coalesce(sum(e.amount_accounting)
                               FILTER (WHERE e.posting_type = 'exchange_difference' AND e.account = co.exchange_difference_account), 0)
                               AS exchange
                      FROM ledger_entry e
                      JOIN company co ON co.id = e.company_id
                     WHERE \(filtered("e")) AND e.reversal_id IS NULL  -- a reversal's lines: reversal_mirrors_original
                       AND e.vendor_payment_id IS NULL  -- payment vouchers (section 9) carry no netting
                     GROUP BY e.company_id, e.reimbursement_id, e.voucher),
                pieces AS (
                    SELECT company_id, reimbursement_id,
                           sum(amount_accounting - debit_amount_accounting) AS difference
                      FROM customer_settlement
                     WHERE kind = 'netting' AND \(companyFilter)
                     GROUP BY company_id, reimbursement_id)
                SELECT l.company_id,
                       format('voucher %s of reimbursement %s: its netting lines sum to %s (accounting %s), its exchange difference account line to %s, the netting pieces differ by %s between their sides',
                              l.voucher, l.reimbursement_id, l.netting_amount, l.netting_accounting, l.exchange,
                              coalesce(p.difference, 0)),
                       ARRAY['ledger_entry ' || l.voucher, 'reimbursement ' || l.reimbursement_id]
                  FROM lines l
                  LEFT JOIN pieces p ON p.company_id = l.company_id AND p.reimbursement_id = l.reimbursement_id
                 WHERE l.netting_amount <> 0 OR l.netting_accounting <> 0 OR l.exchange <> -coalesce(p.difference, 0)
                 ORDER BY 1, 2
                """,
            needs: ["company"]),
    ]
}
