/// The hand-written, set-based SQL a skilled DBA would write for the default `post` job
/// (PRODUCT.md §1: every customer selected, `debit_handling = 'skip'`, `summarize = true`),
/// the benchmark's yardstick: one transaction, temporary tables, `INSERT ... SELECT` into the
/// real tables, the same rows the daemon writes.
///
/// Rules, in the engine's order (ReimbursementPlanner+Posting.swift): a customer with no open
/// credit is only counted; then on hold, pending settlement (any open transaction marked), open
/// debits (any currency) skip the whole customer (one NULL-currency row with its whole open
/// credit in accounting currency); then per currency the balance (both currencies) against the
/// minimum (accounting currency, equal counts) gives a reimbursement or a `below_minimum` row;
/// then the vendor: the customer's own (missing: one `vendor_not_found` row, keeping the
/// `below_minimum` rows), else its earlier one-time vendor (lowest account), else a new one
/// numbered in account order. Numbers are handed out in (customer account, currency) order,
/// codes ordered byte for byte (`COLLATE "C"`), as the daemon does scanning accounts in order.
///
/// Parameters: `$1` company id, `$2` the job id the rows belong to, `$3` the posting date.
/// What the benchmark's data cannot contain is refused, not handled (``refuseUnusable``):
/// a credit open with the other sign in accounting currency (the engine's `invalid_data`).
enum SetBasedReimbursement {
    enum Parameter { case company, job, postingDate }

    struct Statement {
        var name: String
        var sql: String
        var parameters: [Parameter]
        /// For a check: the statement returns one count, which must be this.
        var expectedCount: Int? = nil
    }

    /// A number of a company sequence: prefix and value zero-padded to `width`; a longer value
    /// is kept whole (PRODUCT.md §1 Precisions; `lpad` alone would cut it).
    static func number(_ sequence: String, offset: String) -> String {
        "\(sequence).prefix || CASE WHEN length((\(sequence).next_value + \(offset) - 1)::text) >= \(sequence).width "
            + "THEN (\(sequence).next_value + \(offset) - 1)::text "
            + "ELSE lpad((\(sequence).next_value + \(offset) - 1)::text, \(sequence).width, '0') END"
    }

    /// The company's three sequences, locked for the transaction: numbers stay gap-free and no
    /// other run of the company hands out the same ones. Must return 3 rows.
    static let lockSequences = Statement(
        name: "lock_sequences",
        sql: """
            SELECT count(*) FROM (
                SELECT name FROM number_sequence
                 WHERE company_id = $1 AND name IN ('one_time_vendor', 'reimbursement_voucher', 'vendor_invoice')
                 ORDER BY name FOR UPDATE) locked
            """,
        parameters: [.company], expectedCount: 3)

    /// Every open transaction of the company with its remaining amounts (rule 3).
    static let openItems = Statement(
        name: "open_items",
        sql: """
            CREATE TEMPORARY TABLE bench_open ON COMMIT DROP AS
            SELECT t.customer_account, t.id, t.currency, t.ledger_account,
                   t.amount - t.settled_amount AS remaining,
                   t.amount_accounting - t.settled_amount_accounting AS remaining_accounting,
                   t.marked_for_settlement
              FROM customer_transaction t
             WHERE t.company_id = $1 AND t.amount <> t.settled_amount
            """,
        parameters: [.company])

    static let analyzeOpenItems = Statement(name: "analyze_open_items", sql: "ANALYZE bench_open", parameters: [])

    /// The engine's invalid_data case the benchmark never generates: refused, not handled.
    static let refuseUnusable = Statement(
        name: "refuse_unusable",
        sql: "SELECT count(*) FROM bench_open WHERE remaining < 0 AND remaining_accounting > 0",
        parameters: [], expectedCount: 0)

    /// One row per customer with open credits: the customer-wide reason (on hold, pending
    /// settlement, open debits, in that order), its whole open credit in accounting currency,
    /// and what the vendor rule needs.
    static let customerVerdicts = Statement(
        name: "customer_verdicts",
        sql: """
            CREATE TEMPORARY TABLE bench_customer ON COMMIT DROP AS
            SELECT c.account, c.vendor_account, own.account IS NOT NULL AS vendor_exists,
                   one_time.account AS one_time_vendor, o.whole_credit_accounting,
                   CASE WHEN c.on_hold THEN 'on_hold'
                        WHEN o.any_marked THEN 'pending_settlement'
                        WHEN o.any_debit THEN 'open_debits' END AS reason
              FROM (SELECT customer_account, bool_or(marked_for_settlement) AS any_marked,
                           bool_or(remaining > 0) AS any_debit,
                           -sum(remaining_accounting) FILTER (WHERE remaining < 0) AS whole_credit_accounting
                      FROM bench_open
                     GROUP BY customer_account
                    HAVING bool_or(remaining < 0)) o
              JOIN customer c ON c.company_id = $1 AND c.account = o.customer_account
              LEFT JOIN vendor own ON own.company_id = $1 AND own.account = c.vendor_account
              LEFT JOIN (SELECT customer_account, min(account COLLATE "C") AS account
                           FROM vendor
                          WHERE company_id = $1 AND one_time AND customer_account IS NOT NULL
                          GROUP BY customer_account) one_time ON one_time.customer_account = c.account
            """,
        parameters: [.company])

    /// Per (customer, currency) of customers not skipped whole: the credit balance in both
    /// currencies (rule 5) and whether it reaches the minimum (rule 6).
    static let currencyBalances = Statement(
        name: "currency_balances",
        sql: """
            CREATE TEMPORARY TABLE bench_balance ON COMMIT DROP AS
            SELECT o.customer_account, o.currency,
                   -sum(o.remaining) AS amount, -sum(o.remaining_accounting) AS amount_accounting,
                   (m.minimum <= 0 OR -sum(o.remaining_accounting) >= m.minimum) AS reaches
              FROM bench_open o
              JOIN bench_customer c ON c.account = o.customer_account AND c.reason IS NULL
             CROSS JOIN (SELECT minimum_reimbursement AS minimum FROM company WHERE id = $1) m
             WHERE o.remaining < 0
             GROUP BY o.customer_account, o.currency, m.minimum
            """,
        parameters: [.company])

    /// The vendor of each customer with a currency to reimburse (rule 7): its own when it
    /// exists (a missing one leaves the customer out), else its one-time vendor, else a new
    /// one-time vendor numbered in account order.
    static let payees = Statement(
        name: "payees",
        sql: """
            CREATE TEMPORARY TABLE bench_payee ON COMMIT DROP AS
            SELECT p.account AS customer_account, p.created,
                   CASE WHEN p.created THEN \(number("s", offset: "p.created_rank"))
                        ELSE coalesce(p.vendor_account, p.one_time_vendor) END AS vendor_account
              FROM (SELECT c.account, c.vendor_account, c.one_time_vendor,
                           (c.vendor_account IS NULL AND c.one_time_vendor IS NULL) AS created,
                           count(*) FILTER (WHERE c.vendor_account IS NULL AND c.one_time_vendor IS NULL)
                               OVER (ORDER BY c.account COLLATE "C") AS created_rank
                      FROM bench_customer c
                     WHERE c.reason IS NULL AND (c.vendor_account IS NULL OR c.vendor_exists)
                       AND EXISTS (SELECT 1 FROM bench_balance b WHERE b.customer_account = c.account AND b.reaches)
                   ) p
              JOIN number_sequence s ON s.company_id = $1 AND s.name = 'one_time_vendor'
            """,
        parameters: [.company])

    /// One reimbursement per reimbursed (customer, currency), with its ids, voucher and
    /// invoice number (both sequences in (customer, currency) order).
    static let reimbursements = Statement(
        name: "reimbursements",
        sql: """
            CREATE TEMPORARY TABLE bench_reimbursement ON COMMIT DROP AS
            SELECT nextval(pg_get_serial_sequence('reimbursement', 'id')) AS id,
                   nextval(pg_get_serial_sequence('vendor_invoice', 'id')) AS invoice_id,
                   r.customer_account, r.currency, r.amount, r.amount_accounting, r.vendor_account, r.created,
                   \(number("vs", offset: "r.rank")) AS voucher,
                   \(number("ins", offset: "r.rank")) AS invoice_number
              FROM (SELECT b.customer_account, b.currency, b.amount, b.amount_accounting, p.vendor_account,
                           p.created,
                           row_number() OVER (ORDER BY b.customer_account COLLATE "C", b.currency COLLATE "C") AS rank
                      FROM bench_balance b
                      JOIN bench_payee p ON p.customer_account = b.customer_account
                     WHERE b.reaches) r
              JOIN number_sequence vs ON vs.company_id = $1 AND vs.name = 'reimbursement_voucher'
              JOIN number_sequence ins ON ins.company_id = $1 AND ins.name = 'vendor_invoice'
            """,
        parameters: [.company])

    /// One reimbursement debit per ledger account of the settled credits (rule 8), with its
    /// voucher line number (ledger accounts in byte order).
    static let debits = Statement(
        name: "debits",
        sql: """
            CREATE TEMPORARY TABLE bench_debit ON COMMIT DROP AS
            SELECT nextval(pg_get_serial_sequence('customer_transaction', 'id')) AS id, d.*
              FROM (SELECT r.id AS reimbursement_id, r.customer_account, r.currency, r.voucher, o.ledger_account,
                           -sum(o.remaining) AS amount, -sum(o.remaining_accounting) AS amount_accounting,
                           row_number() OVER (PARTITION BY r.id ORDER BY o.ledger_account COLLATE "C") AS line
                      FROM bench_reimbursement r
                      JOIN bench_open o ON o.customer_account = r.customer_account AND o.currency = r.currency
                                       AND o.remaining < 0
                     GROUP BY r.id, r.customer_account, r.currency, r.voucher, o.ledger_account) d
            """,
        parameters: [])

    /// Each settled credit against the debit of its ledger account, by its remaining amount.
    static let settlements = Statement(
        name: "settlements",
        sql: """
            CREATE TEMPORARY TABLE bench_settlement ON COMMIT DROP AS
            SELECT o.id AS credit_id, d.id AS debit_id, d.reimbursement_id, d.currency,
                   -o.remaining AS amount, -o.remaining_accounting AS amount_accounting
              FROM bench_debit d
              JOIN bench_open o ON o.customer_account = d.customer_account AND o.currency = d.currency
                               AND o.ledger_account = d.ledger_account AND o.remaining < 0
            """,
        parameters: [])

    static let insertVendors = Statement(
        name: "insert_vendors",
        sql: """
            INSERT INTO vendor (company_id, account, name, vendor_group, currency, address, one_time, customer_account)
            SELECT $1, p.vendor_account, c.name, nullif(co.one_time_vendor_group, ''), c.currency, c.address, true,
                   c.account
              FROM bench_payee p
              JOIN customer c ON c.company_id = $1 AND c.account = p.customer_account
              JOIN company co ON co.id = $1
             WHERE p.created
             ORDER BY p.vendor_account
            """,
        parameters: [.company])

    /// A created one-time vendor takes its customer's bank account (PRODUCT.md §9).
    static let copyBankAccounts = Statement(
        name: "copy_bank_accounts",
        sql: """
            INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic)
            SELECT b.company_id, p.vendor_account, b.iban, b.bic
              FROM bench_payee p
              JOIN customer_bank_account b ON b.company_id = $1 AND b.customer_account = p.customer_account
             WHERE p.created
            ON CONFLICT (company_id, vendor_account) DO NOTHING
            """,
        parameters: [.company])

    static let insertDebits = Statement(
        name: "insert_debits",
        sql: """
            INSERT INTO customer_transaction (company_id, id, customer_account, voucher, transaction_date, kind,
                currency, amount, amount_accounting, settled_amount, settled_amount_accounting, ledger_account)
            SELECT $1, id, customer_account, voucher, $2::date, 'reimbursement', currency, amount, amount_accounting,
                   amount, amount_accounting, ledger_account
              FROM bench_debit
             ORDER BY id
            """,
        parameters: [.company, .postingDate])

    static let insertReimbursements = Statement(
        name: "insert_reimbursements",
        sql: """
            INSERT INTO reimbursement (company_id, id, job_id, customer_account, vendor_account,
                one_time_vendor_created, currency, amount, amount_accounting, voucher, posting_date, vendor_invoice_id)
            SELECT $1, id, $2, customer_account, vendor_account, created, currency, amount, amount_accounting,
                   voucher, $3::date, invoice_id
              FROM bench_reimbursement
             ORDER BY id
            """,
        parameters: [.company, .job, .postingDate])

    static let insertVendorInvoices = Statement(
        name: "insert_vendor_invoices",
        sql: """
            INSERT INTO vendor_invoice (company_id, id, vendor_account, invoice_number, voucher, invoice_date,
                due_date, currency, amount, amount_accounting, reimbursement_id)
            SELECT $1, r.invoice_id, r.vendor_account, r.invoice_number, r.voucher, $2::date,
                   $2::date + co.reimbursement_payment_days, r.currency, r.amount, r.amount_accounting, r.id
              FROM bench_reimbursement r
              JOIN company co ON co.id = $1
             ORDER BY r.invoice_id
            """,
        parameters: [.company, .postingDate])

    static let insertSettlements = Statement(
        name: "insert_settlements",
        sql: """
            INSERT INTO customer_settlement (company_id, job_id, reimbursement_id, debit_transaction_id,
                credit_transaction_id, currency, amount, amount_accounting, settled_on)
            SELECT $1, $2, reimbursement_id, debit_id, credit_id, currency, amount, amount_accounting, $3::date
              FROM bench_settlement
             ORDER BY reimbursement_id, debit_id, credit_id
            """,
        parameters: [.company, .job, .postingDate])

    /// The voucher: a debit line per ledger account, then the credit line to the vendor summary
    /// account for the negated total, so it balances in both currencies by construction.
    static let insertLedgerEntries = Statement(
        name: "insert_ledger_entries",
        sql: """
            INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                amount, amount_accounting, reimbursement_id)
            SELECT $1, voucher, line::int, $2::date, ledger_account, 'customer_reimbursement', currency, amount,
                   amount_accounting, reimbursement_id
              FROM bench_debit
            UNION ALL
            SELECT $1, r.voucher, n.lines::int + 1, $2::date, co.vendor_summary_account, 'vendor_balance', r.currency,
                   -r.amount, -r.amount_accounting, r.id
              FROM bench_reimbursement r
              JOIN (SELECT reimbursement_id, count(*) AS lines FROM bench_debit GROUP BY reimbursement_id) n
                ON n.reimbursement_id = r.id
              JOIN company co ON co.id = $1
            """,
        parameters: [.company, .postingDate])

    /// Skips: customer-wide reasons; `vendor_not_found` for a customer with a currency that
    /// reached the minimum; `below_minimum` per currency (kept beside `vendor_not_found`).
    static let insertSkips = Statement(
        name: "insert_skips",
        sql: """
            INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason, credit_balance,
                credit_balance_accounting)
            SELECT $2::bigint, $1, c.account, NULL::text, c.reason, NULL::numeric, c.whole_credit_accounting
              FROM bench_customer c
             WHERE c.reason IS NOT NULL
            UNION ALL
            SELECT $2::bigint, $1, c.account, NULL::text, 'vendor_not_found', NULL::numeric, c.whole_credit_accounting
              FROM bench_customer c
             WHERE c.reason IS NULL AND c.vendor_account IS NOT NULL AND NOT c.vendor_exists
               AND EXISTS (SELECT 1 FROM bench_balance b WHERE b.customer_account = c.account AND b.reaches)
            UNION ALL
            SELECT $2::bigint, $1, b.customer_account, b.currency::text, 'below_minimum', b.amount, b.amount_accounting
              FROM bench_balance b
             WHERE NOT b.reaches
            """,
        parameters: [.company, .job])

    /// Each settled credit becomes settled by exactly its remaining amount; the row count must
    /// equal the settlements (``settledCount``), proving none changed meanwhile.
    static let settleCredits = Statement(
        name: "settle_credits",
        sql: """
            UPDATE customer_transaction t
               SET settled_amount = t.settled_amount - s.amount,
                   settled_amount_accounting = t.settled_amount_accounting - s.amount_accounting
              FROM bench_settlement s
             WHERE t.company_id = $1 AND t.id = s.credit_id AND t.amount - t.settled_amount = -s.amount
            """,
        parameters: [.company])

    static let settledCount = Statement(
        name: "settlement_count", sql: "SELECT count(*) FROM bench_settlement", parameters: [])

    static let advanceSequences = Statement(
        name: "advance_sequences",
        sql: """
            UPDATE number_sequence s SET next_value = s.next_value + u.taken
              FROM (SELECT 'reimbursement_voucher' AS name, count(*) AS taken FROM bench_reimbursement
                    UNION ALL SELECT 'vendor_invoice', count(*) FROM bench_reimbursement
                    UNION ALL SELECT 'one_time_vendor', count(*) FILTER (WHERE created) FROM bench_payee) u
             WHERE s.company_id = $1 AND s.name = u.name AND u.taken > 0
            """,
        parameters: [.company])

    /// The job row the postings belong to, as the daemon's is: running, then succeeded.
    static let startJob = Statement(
        name: "start_job",
        sql: """
            INSERT INTO reimbursement_job (company_id, posting_date, effective_posting_date, state, attempts,
                started_at)
            VALUES ($1, $2::date, $2::date, 'running', 1, clock_timestamp())
            RETURNING id
            """,
        parameters: [.company, .postingDate])

    static let finishJob = Statement(
        name: "finish_job",
        sql: """
            UPDATE reimbursement_job SET state = 'succeeded', finished_at = clock_timestamp()
             WHERE company_id = $1 AND id = $2
            """,
        parameters: [.company, .job])

    /// The plan, in order (after ``startJob``, inside the same transaction).
    static let steps: [Statement] = [
        lockSequences, openItems, analyzeOpenItems, refuseUnusable, customerVerdicts, currencyBalances, payees,
        reimbursements, debits, settlements,
        insertVendors, copyBankAccounts, insertDebits, insertReimbursements, insertVendorInvoices, insertSettlements,
        insertLedgerEntries, insertSkips, settleCredits, advanceSequences, finishJob,
    ]
}
