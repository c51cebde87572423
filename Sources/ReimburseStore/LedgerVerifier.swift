import Foundation
public import Postgres

/// One broken ledger invariant: which check found it, in which company, what is wrong and the
/// rows involved (`"<table> <id>"`, e.g. `"reimbursement 42"`, `"ledger_entry RV-00000007/2"`).
public struct LedgerViolation: Sendable, Equatable, CustomStringConvertible {
    public let check: String
    public let companyID: String
    public let message: String
    public let rows: [String]

    public init(check: String, companyID: String, message: String, rows: [String]) {
        self.check = check
        self.companyID = companyID
        self.message = message
        self.rows = rows
    }

    public var description: String {
        "[\(check)] \(companyID): \(message)" + (rows.isEmpty ? "" : " (rows: \(rows.joined(separator: ", ")))")
    }
}

/// What a verification found.
public struct LedgerVerification: Sendable {
    public init(checks: [String], violations: [LedgerViolation], skipped: [(check: String, reason: String)]) {
        self.checks = checks
        self.violations = violations
        self.skipped = skipped
    }

    /// The checks that ran, in order.
    public let checks: [String]
    public let violations: [LedgerViolation]
    /// Checks that could not run for this login, with the reason (a reader without SELECT on
    /// a table they need).
    public let skipped: [(check: String, reason: String)]

    public var passed: Bool { violations.isEmpty }

    /// The checks that found at least one violation.
    public var failedChecks: Set<String> { Set(violations.map(\.check)) }
}

/// Checks the ledger invariants of posted reimbursements after the fact, in SQL.
///
/// The schema leaves some links without foreign keys on purpose (each costs a query per
/// inserted row; sql/README.md section 5), and some invariants span rows (balanced vouchers).
/// This is where they are checked: `reimburse verify` and the reliability tests run it.
///
/// All checks read one snapshot (REPEATABLE READ, read only), so a verification that runs
/// while daemons post sees every chunk either whole or not at all.
public struct LedgerVerifier {
    public struct Check: Sendable {
        public let name: String
        /// What the check asserts, for `--help` and reports.
        public let summary: String
        /// Returns rows of (company_id text, message text, rows text[]); `$1` is the company
        /// filter (NULL: every company).
        let sql: String
        /// Tables the check reads beyond the posted ones every reader may read.
        var needs: [String] = []
    }

    private let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Runs every check, over one company or all of them.
    public func verify(companyID: String? = nil) throws -> LedgerVerification {
        let (checks, skipped, violations) = try connection.transaction(
            isolation: .repeatableRead, readOnly: true
        ) { connection in
            // Every check reads whole tables: hash joins are right. Fresh bulk-loaded tables
            // have no statistics yet (autovacuum has not analyzed them), and the planner then
            // picks nested loops that rescan an aggregate per row: 40 s instead of 20 ms for
            // 5,000 reimbursements.
            try connection.execute("SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true)")
            var found: [LedgerViolation] = []
            var ran: [Check] = []
            var skipped: [(check: String, reason: String)] = []
            for check in Self.checks {
                var missing: [String] = []
                for table in check.needs {
                    let readable = try connection.queryValue(
                        Bool.self, "SELECT has_table_privilege(to_regclass($1), 'SELECT')", table) ?? false
                    if !readable { missing.append(table) }
                }
                guard missing.isEmpty else {
                    skipped.append((check.name, "this login cannot read \(missing.joined(separator: ", "))"))
                    continue
                }
                ran.append(check)
                let rows = try connection.query(check.sql, companyID) { row in
                    LedgerViolation(
                        check: check.name, companyID: try row.decode(String.self, at: 0),
                        message: try row.decode(String.self, at: 1), rows: try row.decode([String].self, at: 2))
                }
                found += rows
            }
            return (ran, skipped, found)
        }
        return LedgerVerification(checks: checks.map(\.name), violations: violations, skipped: skipped)
    }

    /// The names of all checks, in the order they run.
    public static var checkNames: [String] { checks.map(\.name) }

    static let companyFilter = "($1::text IS NULL OR company_id = $1::text)"

    public static let checks: [Check] = [
        Check(
            name: "voucher_balanced",
            summary: "every voucher in ledger_entry sums to zero in transaction and in accounting currency",
            sql: """
                SELECT company_id,
                       format('voucher %s does not balance: its lines sum to %s (accounting %s)',
                              voucher, sum(amount), sum(amount_accounting)),
                       array_agg('ledger_entry ' || voucher || '/' || line ORDER BY line)
                  FROM ledger_entry
                 WHERE \(companyFilter)
                 GROUP BY company_id, voucher
                HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0
                 ORDER BY 1, 2
                """),
        Check(
            name: "reimbursement_matches_voucher",
            summary: "every reimbursement has a voucher whose customer lines debit its amount and whose vendor line credits it; every line points at the reimbursement of its voucher",
            sql: """
                WITH lines AS (
                    SELECT company_id, voucher,
                           sum(amount) FILTER (WHERE posting_type = 'customer_reimbursement') AS debit,
                           sum(amount_accounting) FILTER (WHERE posting_type = 'customer_reimbursement') AS debit_accounting,
                           -sum(amount) FILTER (WHERE posting_type = 'vendor_balance') AS credit,
                           -sum(amount_accounting) FILTER (WHERE posting_type = 'vendor_balance') AS credit_accounting
                      FROM ledger_entry
                     WHERE \(companyFilter)
                     GROUP BY company_id, voucher)
                SELECT r.company_id,
                       format('reimbursement %s (voucher %s, %s %s, accounting %s): its voucher debits %s (accounting %s) and credits %s (accounting %s)',
                              r.id, r.voucher, r.amount, r.currency, r.amount_accounting,
                              coalesce(l.debit::text, 'nothing'), coalesce(l.debit_accounting::text, 'nothing'),
                              coalesce(l.credit::text, 'nothing'), coalesce(l.credit_accounting::text, 'nothing')),
                       ARRAY['reimbursement ' || r.id, 'ledger_entry ' || r.voucher]
                  FROM reimbursement r
                  LEFT JOIN lines l ON l.company_id = r.company_id AND l.voucher = r.voucher
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "r.company_id"))
                   AND (l.debit IS DISTINCT FROM r.amount OR l.debit_accounting IS DISTINCT FROM r.amount_accounting
                        OR l.credit IS DISTINCT FROM r.amount OR l.credit_accounting IS DISTINCT FROM r.amount_accounting)
                UNION ALL
                SELECT e.company_id,
                       format('ledger line %s/%s (%s) points at reimbursement %s, whose voucher is %s (%s)',
                              e.voucher, e.line, e.currency, e.reimbursement_id,
                              coalesce(r.voucher, 'missing'), coalesce(r.currency::text, 'missing')),
                       ARRAY['ledger_entry ' || e.voucher || '/' || e.line, 'reimbursement ' || e.reimbursement_id]
                  FROM ledger_entry e
                  LEFT JOIN reimbursement r ON r.company_id = e.company_id AND r.id = e.reimbursement_id
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "e.company_id"))
                   AND e.reversal_id IS NULL  -- reversal lines: reversal_mirrors_original
                   AND e.vendor_payment_id IS NULL  -- payment lines: payment_matches_voucher
                   AND (r.id IS NULL OR r.voucher <> e.voucher OR r.currency <> e.currency)
                 ORDER BY 1, 2
                """),
        Check(
            name: "reimbursement_matches_invoice",
            summary: "every reimbursement equals its vendor invoice (amount, accounting amount, currency, voucher, vendor) and they name each other; its vendor exists",
            sql: """
                SELECT r.company_id,
                       CASE WHEN vi.id IS NULL
                            THEN format('reimbursement %s has no vendor invoice (vendor_invoice_id %s)',
                                        r.id, coalesce(r.vendor_invoice_id::text, 'NULL'))
                            ELSE format('reimbursement %s (%s %s, accounting %s, voucher %s, vendor %s) differs from its vendor invoice %s (%s %s, accounting %s, voucher %s, vendor %s, reimbursement_id %s)',
                                        r.id, r.amount, r.currency, r.amount_accounting, r.voucher, r.vendor_account,
                                        vi.id, vi.amount, vi.currency, vi.amount_accounting, vi.voucher, vi.vendor_account,
                                        coalesce(vi.reimbursement_id::text, 'NULL'))
                       END,
                       array_remove(ARRAY['reimbursement ' || r.id, 'vendor_invoice ' || vi.id], NULL)
                  FROM reimbursement r
                  LEFT JOIN vendor_invoice vi ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "r.company_id"))
                   AND (vi.id IS NULL OR vi.amount <> r.amount OR vi.amount_accounting <> r.amount_accounting
                        OR vi.currency <> r.currency OR vi.voucher <> r.voucher OR vi.vendor_account <> r.vendor_account
                        OR vi.reimbursement_id IS DISTINCT FROM r.id)
                UNION ALL
                SELECT vi.company_id,
                       format('vendor invoice %s names reimbursement %s, which does not name it back',
                              vi.id, vi.reimbursement_id),
                       array_remove(ARRAY['vendor_invoice ' || vi.id, 'reimbursement ' || r.id], NULL)
                  FROM vendor_invoice vi
                  LEFT JOIN reimbursement r ON r.company_id = vi.company_id AND r.id = vi.reimbursement_id
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "vi.company_id"))
                   AND vi.reimbursement_id IS NOT NULL AND (r.id IS NULL OR r.vendor_invoice_id IS DISTINCT FROM vi.id)
                UNION ALL
                SELECT r.company_id,
                       format('reimbursement %s names vendor %s, which does not exist', r.id, r.vendor_account),
                       ARRAY['reimbursement ' || r.id]
                  FROM reimbursement r
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "r.company_id"))
                   AND NOT EXISTS (SELECT 1 FROM vendor v WHERE v.company_id = r.company_id AND v.account = r.vendor_account)
                 ORDER BY 1, 2
                """),
        Check(
            name: "reimbursement_matches_settlements",
            summary: "every reimbursement equals the sum of its customer settlements of kind reimbursement (its netting pieces are checked by netting_settles_both_sides), in both currencies",
            sql: """
                WITH s AS (
                    SELECT company_id, reimbursement_id, sum(amount) AS amount, sum(amount_accounting) AS amount_accounting,
                           array_agg('customer_settlement ' || id ORDER BY id) AS ids
                      FROM customer_settlement
                     WHERE \(companyFilter) AND kind = 'reimbursement'
                     GROUP BY company_id, reimbursement_id)
                SELECT r.company_id,
                       format('reimbursement %s of %s %s (accounting %s): its settlements sum to %s (accounting %s)',
                              r.id, r.amount, r.currency, r.amount_accounting,
                              coalesce(s.amount, 0), coalesce(s.amount_accounting, 0)),
                       ARRAY['reimbursement ' || r.id] || coalesce(s.ids, '{}')
                  FROM reimbursement r
                  LEFT JOIN s ON s.company_id = r.company_id AND s.reimbursement_id = r.id
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "r.company_id"))
                   AND (s.amount IS DISTINCT FROM r.amount OR s.amount_accounting IS DISTINCT FROM r.amount_accounting)
                 ORDER BY 1, 2
                """),
        Check(
            name: "reimbursement_matches_debits",
            summary: "every reimbursement equals the sum of its reimbursement debit transactions (fully settled, its voucher, customer and currency), and each debit equals the settlements against it",
            sql: """
                WITH d AS (
                    SELECT company_id, customer_account, voucher, sum(amount) AS amount,
                           sum(amount_accounting) AS amount_accounting,
                           array_agg(currency::text) AS currencies,
                           bool_and(settled_amount = amount AND settled_amount_accounting = amount_accounting) AS settled,
                           array_agg('customer_transaction ' || id ORDER BY id) AS ids
                      FROM customer_transaction
                     WHERE kind = 'reimbursement' AND \(companyFilter)
                     GROUP BY company_id, customer_account, voucher),
                per_debit AS (
                    SELECT company_id, debit_transaction_id, sum(amount) AS amount,
                           sum(amount_accounting) AS amount_accounting,
                           array_agg('customer_settlement ' || id ORDER BY id) AS ids
                      FROM customer_settlement
                     WHERE \(companyFilter) AND kind = 'reimbursement'
                     GROUP BY company_id, debit_transaction_id)
                SELECT r.company_id,
                       format('reimbursement %s of %s %s (accounting %s, voucher %s, customer %s): its debit transactions sum to %s (accounting %s)%s',
                              r.id, r.amount, r.currency, r.amount_accounting, r.voucher, r.customer_account,
                              coalesce(d.amount::text, 'nothing'), coalesce(d.amount_accounting::text, 'nothing'),
                              CASE WHEN NOT coalesce(d.settled, true) THEN ', not all fully settled'
                                   WHEN r.currency::text <> ANY (coalesce(d.currencies, ARRAY[r.currency::text]))
                                       THEN ', some in another currency'
                                   ELSE '' END),
                       ARRAY['reimbursement ' || r.id] || coalesce(d.ids, '{}')
                  FROM reimbursement r
                  LEFT JOIN d ON d.company_id = r.company_id AND d.customer_account = r.customer_account
                             AND d.voucher = r.voucher
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "r.company_id"))
                   AND (d.amount IS DISTINCT FROM r.amount OR d.amount_accounting IS DISTINCT FROM r.amount_accounting
                        OR NOT d.settled OR r.currency::text <> ANY (d.currencies))
                UNION ALL
                SELECT t.company_id,
                       format('reimbursement debit %s of %s (accounting %s) has settlements summing to %s (accounting %s)',
                              t.id, t.amount, t.amount_accounting,
                              coalesce(p.amount::text, 'nothing'), coalesce(p.amount_accounting::text, 'nothing')),
                       ARRAY['customer_transaction ' || t.id] || coalesce(p.ids, '{}')
                  FROM customer_transaction t
                  LEFT JOIN per_debit p ON p.company_id = t.company_id AND p.debit_transaction_id = t.id
                 WHERE t.kind = 'reimbursement'
                   AND \(companyFilter.replacingOccurrences(of: "company_id", with: "t.company_id"))
                   AND EXISTS (SELECT 1 FROM reimbursement r
                                WHERE r.company_id = t.company_id AND r.voucher = t.voucher
                                  AND r.customer_account = t.customer_account)
                   AND (p.amount IS DISTINCT FROM t.amount OR p.amount_accounting IS DISTINCT FROM t.amount_accounting)
                 ORDER BY 1, 2
                """),
        Check(
            name: "transaction_settled_within_amount",
            summary: "no customer transaction is settled beyond its amount or against its sign, and the active (unreversed) reimbursement settlements of a credit (netting pieces included) never exceed its settled amount",
            sql: """
                SELECT company_id,
                       format('customer transaction %s of customer %s (amount %s, accounting %s) is settled %s (accounting %s): beyond its amount or against its sign',
                              id, customer_account, amount, amount_accounting, settled_amount, settled_amount_accounting),
                       ARRAY['customer_transaction ' || id]
                  FROM customer_transaction
                 WHERE \(companyFilter)
                   AND NOT (CASE WHEN amount > 0 THEN settled_amount BETWEEN 0 AND amount
                                 ELSE settled_amount BETWEEN amount AND 0 END
                            AND CASE WHEN amount_accounting > 0 THEN settled_amount_accounting BETWEEN 0 AND amount_accounting
                                     ELSE settled_amount_accounting BETWEEN amount_accounting AND 0 END)
                UNION ALL
                SELECT t.company_id,
                       format('credit %s (amount %s, settled %s, accounting settled %s) is settled by reimbursement for %s (accounting %s), more than its settled amount',
                              t.id, t.amount, t.settled_amount, t.settled_amount_accounting, s.amount, s.amount_accounting),
                       ARRAY['customer_transaction ' || t.id] || s.ids
                  FROM (SELECT company_id, credit_transaction_id, sum(amount) AS amount,
                               sum(amount_accounting) AS amount_accounting,
                               array_agg('customer_settlement ' || id ORDER BY id) AS ids
                          FROM customer_settlement
                         WHERE \(companyFilter) AND \(activeSettlement)
                         GROUP BY company_id, credit_transaction_id) s
                  JOIN customer_transaction t ON t.company_id = s.company_id AND t.id = s.credit_transaction_id
                 WHERE s.amount > -t.settled_amount OR s.amount_accounting > -t.settled_amount_accounting
                 ORDER BY 1, 2
                """),
        Check(
            name: "settlement_matches_credit",
            summary: "every credit settled by reimbursement exists, is a credit, and belongs to the customer, company and currency of the reimbursement; its debit is a reimbursement debit of the reimbursement's voucher and ledger account (a netting piece: the customer's own debit, see netting_settles_both_sides); the settlement's job is the reimbursement's",
            sql: """
                SELECT s.company_id,
                       format('settlement %s of reimbursement %s (customer %s, %s, job %s): %s',
                              s.id, s.reimbursement_id, r.customer_account, r.currency, r.job_id,
                              concat_ws('; ',
                                  CASE WHEN c.id IS NULL THEN format('credit %s does not exist', s.credit_transaction_id) END,
                                  CASE WHEN c.amount >= 0 THEN format('transaction %s is not a credit', c.id) END,
                                  CASE WHEN c.customer_account <> r.customer_account
                                       THEN format('credit %s belongs to customer %s', c.id, c.customer_account) END,
                                  CASE WHEN c.currency <> r.currency OR s.currency <> r.currency
                                       THEN format('credit %s is in %s, the settlement in %s', c.id, c.currency, s.currency) END,
                                  CASE WHEN d.id IS NULL THEN format('debit %s does not exist', s.debit_transaction_id) END,
                                  CASE WHEN s.kind = 'reimbursement'
                                        AND (d.kind <> 'reimbursement' OR d.voucher IS DISTINCT FROM r.voucher
                                             OR d.customer_account <> r.customer_account)
                                       THEN format('debit %s is not a reimbursement debit of voucher %s', d.id, r.voucher) END,
                                  CASE WHEN s.kind = 'reimbursement' AND d.ledger_account <> c.ledger_account
                                       THEN format('debit %s is on ledger account %s, the credit on %s', d.id, d.ledger_account, c.ledger_account) END,
                                  CASE WHEN s.job_id <> r.job_id THEN format('the settlement names job %s', s.job_id) END)),
                       array_remove(ARRAY['customer_settlement ' || s.id, 'reimbursement ' || s.reimbursement_id,
                                          'customer_transaction ' || s.credit_transaction_id,
                                          'customer_transaction ' || s.debit_transaction_id], NULL)
                  FROM customer_settlement s
                  JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
                  LEFT JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
                  LEFT JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "s.company_id"))
                   AND (c.id IS NULL OR c.amount >= 0 OR c.customer_account <> r.customer_account
                        OR c.currency <> r.currency OR s.currency <> r.currency
                        OR d.id IS NULL
                        OR (s.kind = 'reimbursement'
                            AND (d.kind <> 'reimbursement' OR d.voucher IS DISTINCT FROM r.voucher
                                 OR d.customer_account <> r.customer_account OR d.ledger_account <> c.ledger_account))
                        OR s.job_id <> r.job_id)
                 ORDER BY 1, 2
                """),
        Check(
            name: "credit_settled_once",
            summary: "within one job, no credit transaction is settled by more than one active (unreversed) reimbursement settlement, nor within more than one reimbursement (netting pieces and the remainder's settlement of a credit belong to one reimbursement); across jobs a credit the ERP opened again may be reimbursed again, and transaction_settled_within_amount keeps all its active settlements within its settled amount",
            sql: """
                SELECT company_id,
                       format('credit %s is settled in job %s by %s active reimbursement settlements within %s reimbursements',
                              credit_transaction_id, job_id, count(*) FILTER (WHERE kind = 'reimbursement'),
                              count(DISTINCT reimbursement_id)),
                       ARRAY['customer_transaction ' || credit_transaction_id]
                           || array_agg('customer_settlement ' || id ORDER BY id)
                  FROM customer_settlement
                 WHERE \(companyFilter) AND \(activeSettlement)
                 GROUP BY company_id, job_id, credit_transaction_id
                HAVING count(*) FILTER (WHERE kind = 'reimbursement') > 1 OR count(DISTINCT reimbursement_id) > 1
                 ORDER BY 1, 2
                """),
        Check(
            name: "skip_excludes_reimbursement",
            summary: "a customer skipped in a job (a NULL-currency row such as invalid_data, or a per-currency row) has no reimbursement in that job (of that currency)",
            sql: """
                SELECT s.company_id,
                       format('customer %s is skipped in job %s (%s%s) but reimbursement %s (%s %s) was posted for it in that job',
                              s.customer_account, s.job_id, s.reason, coalesce(', ' || s.currency, ''),
                              r.id, r.amount, r.currency),
                       ARRAY['reimbursement_skip ' || s.company_id || '/' || s.job_id || '/' || s.id,
                             'reimbursement ' || r.id]
                  FROM reimbursement_skip s
                  JOIN reimbursement r ON r.company_id = s.company_id AND r.job_id = s.job_id
                                      AND r.customer_account = s.customer_account
                                      AND (s.currency IS NULL OR r.currency = s.currency)
                 WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "s.company_id"))
                 ORDER BY 1, 2
                """),
        sequenceCheck(
            name: "reimbursement_voucher_sequence", sequence: "reimbursement_voucher",
            what: "voucher",
            source: "SELECT company_id, voucher AS number, 'reimbursement ' || id AS ref FROM reimbursement"
                + " UNION ALL SELECT company_id, voucher, 'reimbursement_reversal ' || id FROM reimbursement_reversal"),
        sequenceCheck(
            name: "vendor_invoice_sequence", sequence: "vendor_invoice",
            what: "invoice number",
            source: "SELECT company_id, invoice_number AS number, 'vendor_invoice ' || id AS ref FROM vendor_invoice"),
        sequenceCheck(
            name: "one_time_vendor_sequence", sequence: "one_time_vendor",
            what: "one-time vendor account",
            // Only the one-time vendors Reimburse created (a reimbursement says so): the ERP may
            // keep one-time vendors of its own whose accounts look like the sequence's numbers.
            source: """
                SELECT DISTINCT v.company_id, v.account AS number, 'vendor ' || v.account AS ref
                  FROM vendor v
                  JOIN reimbursement r ON r.company_id = v.company_id AND r.vendor_account = v.account
                 WHERE v.one_time AND r.one_time_vendor_created
                """),
        Check(
            name: "job_result_matches_postings",
            summary: "every reimburse post job's result (reimbursements, totals per currency) matches the reimbursements it posted; preview jobs post nothing",
            sql: """
                WITH posted AS (
                    SELECT company_id, job_id, count(*) AS n FROM reimbursement
                     WHERE \(companyFilter) GROUP BY company_id, job_id),
                totals AS (
                    SELECT company_id, job_id, currency::text AS currency, sum(amount) AS amount,
                           sum(amount_accounting) AS amount_accounting
                      FROM reimbursement
                     WHERE \(companyFilter) GROUP BY company_id, job_id, currency),
                jobs AS (
                    SELECT j.company_id, j.id, j.mode, j.state, j.result,
                           CASE WHEN jsonb_typeof(j.result -> 'totals') = 'object' THEN j.result -> 'totals'
                                ELSE '{}'::jsonb END AS result_totals,
                           CASE WHEN j.result ->> 'reimbursements' ~ '^[0-9]+$'
                                THEN (j.result ->> 'reimbursements')::numeric END AS result_count
                      FROM reimbursement_job j
                     WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "j.company_id"))
                       AND j.operation = 'reimburse'  -- reverse jobs: reversal_job_result_matches_postings
                       AND (j.result IS NOT NULL
                            OR EXISTS (SELECT 1 FROM posted p WHERE p.company_id = j.company_id AND p.job_id = j.id)))
                SELECT j.company_id,
                       CASE WHEN j.mode = 'preview'
                            THEN format('preview job %s (%s) posted %s reimbursements', j.id, j.state, p.n)
                            ELSE format('job %s (%s): its result counts %s reimbursements, %s are posted',
                                        j.id, j.state, coalesce(j.result_count::text, 'no'), coalesce(p.n, 0)) END,
                       ARRAY['reimbursement_job ' || j.id]
                  FROM jobs j
                  LEFT JOIN posted p ON p.company_id = j.company_id AND p.job_id = j.id
                 WHERE (j.mode = 'preview' AND p.n IS NOT NULL)
                    OR (j.mode = 'post' AND j.result_count IS DISTINCT FROM coalesce(p.n, 0))
                UNION ALL
                SELECT j.company_id,
                       format('job %s (%s): its result totals %s as %s (accounting %s), the posted reimbursements sum to %s (accounting %s)',
                              j.id, j.state, x.currency, coalesce(x.result_amount, 'nothing'),
                              coalesce(x.result_accounting, 'nothing'),
                              coalesce(x.posted_amount::text, 'nothing'), coalesce(x.posted_accounting::text, 'nothing')),
                       ARRAY['reimbursement_job ' || j.id]
                  FROM jobs j
                 CROSS JOIN LATERAL (
                       SELECT coalesce(rt.currency, pt.currency) AS currency,
                              rt.amount AS result_amount, rt.amount_accounting AS result_accounting,
                              pt.amount AS posted_amount, pt.amount_accounting AS posted_accounting
                         FROM (SELECT key AS currency, value ->> 'amount' AS amount,
                                      value ->> 'amount_accounting' AS amount_accounting
                                 FROM jsonb_each(j.result_totals)) rt
                         FULL JOIN (SELECT t.currency, t.amount, t.amount_accounting FROM totals t
                                     WHERE t.company_id = j.company_id AND t.job_id = j.id) pt
                           ON pt.currency = rt.currency) x
                 WHERE j.mode = 'post'
                   AND (CASE WHEN x.result_amount ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN x.result_amount::numeric END
                            IS DISTINCT FROM coalesce(x.posted_amount, 0)
                        OR CASE WHEN x.result_accounting ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN x.result_accounting::numeric END
                            IS DISTINCT FROM coalesce(x.posted_accounting, 0))
                 ORDER BY 1, 2
                """),
        Check(
            name: "job_accounts_for_selected",
            summary: "a succeeded job accounted for every customer it counted as selected (reimbursed + no_credit_balance + skipped = selected = customers_done), and for every customer it counted at its start (selected + customers_gone >= customers_total)",
            sql: """
                WITH jobs AS (
                    SELECT j.company_id, j.id, j.customers_total, j.customers_done, j.customers_gone,
                           CASE WHEN j.result -> 'customers' ->> 'selected' ~ '^[0-9]+$'
                                THEN (j.result -> 'customers' ->> 'selected')::bigint END AS selected,
                           CASE WHEN j.result -> 'customers' ->> 'reimbursed' ~ '^[0-9]+$'
                                THEN (j.result -> 'customers' ->> 'reimbursed')::bigint END AS reimbursed,
                           CASE WHEN j.result -> 'customers' ->> 'no_credit_balance' ~ '^[0-9]+$'
                                THEN (j.result -> 'customers' ->> 'no_credit_balance')::bigint END AS no_credit,
                           (SELECT sum(CASE WHEN s.value ~ '^[0-9]+$' THEN s.value::bigint END)
                              FROM jsonb_each_text(
                                       CASE WHEN jsonb_typeof(j.result -> 'customers' -> 'skipped') = 'object'
                                            THEN j.result -> 'customers' -> 'skipped' ELSE '{}'::jsonb END) s)
                               AS skipped
                      FROM reimbursement_job j
                     WHERE \(companyFilter.replacingOccurrences(of: "company_id", with: "j.company_id"))
                       AND j.state = 'succeeded' AND jsonb_typeof(j.result -> 'customers') = 'object')
                SELECT company_id,
                       format('job %s (succeeded) counts %s customers as selected but accounts for %s of them '
                              || '(reimbursed %s, no credit balance %s, skipped %s)',
                              id, coalesce(selected::text, 'no number of'),
                              coalesce(reimbursed, 0) + coalesce(no_credit, 0) + coalesce(skipped, 0),
                              coalesce(reimbursed, 0), coalesce(no_credit, 0), coalesce(skipped, 0)),
                       ARRAY['reimbursement_job ' || id]
                  FROM jobs
                 WHERE selected IS DISTINCT FROM coalesce(reimbursed, 0) + coalesce(no_credit, 0) + coalesce(skipped, 0)
                UNION ALL
                SELECT company_id,
                       format('job %s (succeeded) counts %s customers as done but %s as selected',
                              id, customers_done, coalesce(selected::text, 'no number of')),
                       ARRAY['reimbursement_job ' || id]
                  FROM jobs
                 WHERE selected IS DISTINCT FROM customers_done
                UNION ALL
                SELECT company_id,
                       format('job %s (succeeded) counted %s customers at its start but accounted for only %s '
                              || '(%s selected, %s gone under their account since): customers were passed over',
                              id, customers_total, selected + customers_gone, selected, customers_gone),
                       ARRAY['reimbursement_job ' || id]
                  FROM jobs
                 WHERE selected + customers_gone < customers_total
                 ORDER BY 1, 2
                """),
    ] + financialControlChecks + nettingChecks + reversalChecks + paymentChecks + referenceChecks

    /// Numbers formatted from a sequence (`prefix` + zero-padded value) must be exactly the
    /// values 1 ..< next_value, each once. Only numbers starting with the sequence's current
    /// prefix followed by digits are considered: others did not come from it.
    static func sequenceCheck(name: String, sequence: String, what: String, source: String) -> Check {
        Check(
            name: name,
            summary: "the \(what)s taken from the \(sequence) sequence are exactly 1 ..< next_value, no gap, no duplicate",
            sql: """
                WITH seq AS (
                    SELECT company_id, prefix, next_value FROM number_sequence
                     WHERE name = '\(sequence)' AND \(companyFilter)),
                used AS (
                    SELECT s.company_id, u.number, u.ref, substr(u.number, length(s.prefix) + 1)::numeric AS value
                      FROM seq s
                      JOIN (\(source)) u ON u.company_id = s.company_id
                     WHERE starts_with(u.number, s.prefix)
                       AND substr(u.number, length(s.prefix) + 1) ~ '^[0-9]+$'),
                points AS (
                    SELECT DISTINCT u.company_id, u.value
                      FROM used u JOIN seq s ON s.company_id = u.company_id
                     WHERE u.value >= 1 AND u.value < s.next_value
                    UNION
                    SELECT company_id, next_value::numeric FROM seq),
                gaps AS (
                    SELECT company_id,
                           lag(value, 1, 0::numeric) OVER (PARTITION BY company_id ORDER BY value) + 1 AS gap_from,
                           value - 1 AS gap_to
                      FROM points)
                SELECT g.company_id,
                       CASE WHEN g.gap_from = g.gap_to
                            THEN format('\(what) value %s of sequence \(sequence) (next_value %s) is missing: a gap',
                                        g.gap_from, s.next_value)
                            ELSE format('\(what) values %s to %s of sequence \(sequence) (next_value %s) are missing: a gap',
                                        g.gap_from, g.gap_to, s.next_value) END,
                       ARRAY['number_sequence ' || g.company_id || '/\(sequence)']
                  FROM gaps g JOIN seq s ON s.company_id = g.company_id
                 WHERE g.gap_from <= g.gap_to
                UNION ALL
                SELECT company_id,
                       format('\(what) value %s of sequence \(sequence) is used %s times: %s',
                              value, count(*), string_agg(number, ', ' ORDER BY number)),
                       array_agg(ref ORDER BY ref)
                  FROM used
                 GROUP BY company_id, value
                HAVING count(*) > 1
                UNION ALL
                SELECT u.company_id,
                       format('\(what) %s is outside 1 .. %s (the sequence''s next_value is %s)',
                              u.number, s.next_value - 1, s.next_value),
                       ARRAY[u.ref, 'number_sequence ' || u.company_id || '/\(sequence)']
                  FROM used u JOIN seq s ON s.company_id = u.company_id
                 WHERE u.value < 1 OR u.value >= s.next_value
                 ORDER BY 1, 2
                """,
            needs: ["number_sequence"])
    }
}
