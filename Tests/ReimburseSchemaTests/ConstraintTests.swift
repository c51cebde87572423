import Postgres
import ReimburseTestSupport
import Testing

/// One named constraint and a row that breaks it.
///
/// `setup` prepares what the case needs on top of ``ConstraintCase/seed``; `statement` runs
/// once with `bad` (must fail with `constraint` and `sqlState`) and, when `good` is given, once
/// more with `good` (must succeed): so each case proves that exactly the bad value is refused,
/// not the statement as a whole.
struct ConstraintCase: Sendable, CustomTestStringConvertible {
    var name: String
    var statement: String
    var setup: [SQL] = []
    var bad: [any PostgresEncodable]
    var good: [any PostgresEncodable]?
    var constraint: String
    var sqlState: String

    var testDescription: String { "\(name) -> \(constraint)" }

    static let check = SQLState.checkViolation
    static let unique = SQLState.uniqueViolation
    static let foreignKey = SQLState.foreignKeyViolation

    /// Two companies (A in EUR, B in USD), a customer and a vendor in each, a credit of A,
    /// jobs of every kind the approval rules care about, and one reimbursement of A.
    static func seed(_ connection: PostgresConnection) throws {
        try Fixture.company("A", on: connection)
        try Fixture.company("B", currency: "USD", on: connection)
        try Fixture.customer("A", "C1", on: connection)
        try Fixture.customer("B", "C1", currency: "USD", on: connection)
        try Fixture.vendor("A", "V1", on: connection)
        try Fixture.vendor("B", "V1", currency: "USD", on: connection)
        try Fixture.transaction("A", "C1", id: 5001, kind: "payment", amount: "-50", on: connection)
        try Fixture.transaction("A", "C1", id: 5002, kind: "invoice", amount: "80", on: connection)
        try Fixture.job("A", id: 901, on: connection)                                        // queued post
        try Fixture.job("A", id: 902, mode: "preview", state: "succeeded", on: connection)  // approvable
        try Fixture.job("A", id: 903, mode: "preview", state: "failed", on: connection)
        try Fixture.job("A", id: 904, mode: "preview", state: "queued", on: connection)
        try Fixture.job("A", id: 905, mode: "post", state: "succeeded", on: connection)
        try Fixture.job("B", id: 906, mode: "preview", state: "succeeded", on: connection)  // B's preview
        try connection.execute(
            """
            INSERT INTO reimbursement (company_id, id, job_id, customer_account, vendor_account, currency,
                                       amount, amount_accounting, voucher, posting_date, vendor_invoice_id)
            VALUES ('A', 701, 905, 'C1', 'V1', 'EUR', 50, 50, 'RV-00000001', DATE '2024-03-31', 801)
            """)
    }

    static let all: [ConstraintCase] = [
        // ---- currency domain ----
        ConstraintCase(
            name: "lower-case currency code on a customer",
            statement: "INSERT INTO customer (company_id, account, currency) VALUES ('A', 'C9', $1)",
            bad: ["eur"], good: ["EUR"], constraint: "currency_code_format", sqlState: check),
        ConstraintCase(
            name: "four-letter currency code on a transaction",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', $1, -1, -1, '1200')
                """,
            bad: ["EURO"], good: ["CHF"], constraint: "currency_code_format", sqlState: check),
        // ---- company ----
        ConstraintCase(
            name: "company code with a blank",
            statement: "INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ($1, 'EUR', '2110')",
            bad: ["US MF"], good: ["USMF"], constraint: "company_id_format", sqlState: check),
        ConstraintCase(
            name: "company code over 20 characters",
            statement: "INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ($1, 'EUR', '2110')",
            bad: [String(repeating: "X", count: 21)], good: [String(repeating: "X", count: 20)],
            constraint: "company_id_format", sqlState: check),
        ConstraintCase(
            name: "negative minimum reimbursement",
            statement: "UPDATE company SET minimum_reimbursement = $1::numeric WHERE id = 'A'",
            bad: ["-0.000001"], good: ["0"], constraint: "company_minimum_reimbursement_nonnegative",
            sqlState: check),
        ConstraintCase(
            name: "negative payment days",
            statement: "UPDATE company SET reimbursement_payment_days = $1 WHERE id = 'A'",
            bad: [-1], good: [0], constraint: "company_payment_days_nonnegative", sqlState: check),
        ConstraintCase(
            name: "blank vendor summary account",
            statement: "UPDATE company SET vendor_summary_account = $1 WHERE id = 'A'",
            bad: ["  "], good: ["2111"], constraint: "company_vendor_summary_account_not_blank", sqlState: check),
        // ---- number_sequence ----
        ConstraintCase(
            name: "unknown number_sequence name",
            statement: "INSERT INTO number_sequence (company_id, name) VALUES ('A', $1)",
            bad: ["customer_invoice"], good: nil, constraint: "number_sequence_name_valid", sqlState: check),
        ConstraintCase(
            name: "number_sequence width 0",
            statement: "UPDATE number_sequence SET width = $1 WHERE company_id = 'A' AND name = 'vendor_invoice'",
            bad: [0], good: [1], constraint: "number_sequence_width_range", sqlState: check),
        ConstraintCase(
            name: "number_sequence width 31",
            statement: "UPDATE number_sequence SET width = $1 WHERE company_id = 'A' AND name = 'vendor_invoice'",
            bad: [31], good: [30], constraint: "number_sequence_width_range", sqlState: check),
        ConstraintCase(
            name: "number_sequence next_value 0",
            statement: "UPDATE number_sequence SET next_value = $1 WHERE company_id = 'A' AND name = 'one_time_vendor'",
            bad: [0], good: [1], constraint: "number_sequence_next_value_positive", sqlState: check),
        ConstraintCase(
            name: "number_sequence of an unknown company",
            statement: "INSERT INTO number_sequence (company_id, name) VALUES ($1, 'vendor_invoice')",
            bad: ["NOPE"], good: nil, constraint: "number_sequence_company_fk", sqlState: foreignKey),
        // ---- customer, vendor ----
        ConstraintCase(
            name: "customer account with a trailing blank",
            statement: "INSERT INTO customer (company_id, account, currency) VALUES ('A', $1, 'EUR')",
            bad: ["C9 "], good: ["C9"], constraint: "customer_account_format", sqlState: check),
        ConstraintCase(
            name: "customer of an unknown company",
            statement: "INSERT INTO customer (company_id, account, currency) VALUES ($1, 'C9', 'EUR')",
            bad: ["NOPE"], good: ["B"], constraint: "customer_company_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "empty vendor account",
            statement: "INSERT INTO vendor (company_id, account, currency) VALUES ('A', $1, 'EUR')",
            bad: [""], good: ["V9"], constraint: "vendor_account_format", sqlState: check),
        // ---- customer_transaction ----
        ConstraintCase(
            name: "transaction amount zero",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', 'EUR', $1::numeric, $1::numeric, '1200')
                """,
            bad: ["0"], good: ["-0.000001"], constraint: "customer_transaction_amount_nonzero", sqlState: check),
        ConstraintCase(
            name: "accounting amount of the other sign",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', 'USD', -10, $1::numeric, '1200')
                """,
            bad: ["9.5"], good: ["-9.5"], constraint: "customer_transaction_accounting_same_sign", sqlState: check),
        // Zero is a residue after a revaluation (issue 11, kind 6): allowed; the other sign never.
        ConstraintCase(
            name: "accounting amount of the other sign, zero allowed",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', 'USD', -10, $1::numeric, '1200')
                """,
            bad: ["0.000001"], good: ["0"], constraint: "customer_transaction_accounting_same_sign", sqlState: check),
        ConstraintCase(
            name: "credit settled beyond its amount",
            statement: """
                UPDATE customer_transaction SET settled_amount = $1::numeric WHERE company_id = 'A' AND id = 5001
                """,
            bad: ["-50.000001"], good: ["-50"], constraint: "customer_transaction_settled_within_amount",
            sqlState: check),
        ConstraintCase(
            name: "credit settled with the wrong sign",
            statement: """
                UPDATE customer_transaction SET settled_amount = $1::numeric WHERE company_id = 'A' AND id = 5001
                """,
            bad: ["0.01"], good: ["-0.01"], constraint: "customer_transaction_settled_within_amount",
            sqlState: check),
        ConstraintCase(
            name: "debit settled beyond its amount",
            statement: """
                UPDATE customer_transaction SET settled_amount = $1::numeric WHERE company_id = 'A' AND id = 5002
                """,
            bad: ["80.01"], good: ["80"], constraint: "customer_transaction_settled_within_amount",
            sqlState: check),
        ConstraintCase(
            name: "credit settled beyond its amount in accounting currency",
            statement: """
                UPDATE customer_transaction SET settled_amount_accounting = $1::numeric
                 WHERE company_id = 'A' AND id = 5001
                """,
            bad: ["-51"], good: ["-50"], constraint: "customer_transaction_settled_accounting_within_amount",
            sqlState: check),
        ConstraintCase(
            name: "unknown transaction kind",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', $1, 'EUR', -1, -1, '1200')
                """,
            bad: ["refund"], good: ["credit_note"], constraint: "customer_transaction_kind_valid", sqlState: check),
        ConstraintCase(
            name: "blank ledger account",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', 'EUR', -1, -1, $1)
                """,
            bad: [" "], good: ["1200"], constraint: "customer_transaction_ledger_account_not_blank",
            sqlState: check),
        ConstraintCase(
            name: "transaction of a customer of another company",
            statement: """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('B', $1, 'payment', 'USD', -1, -1, '1200')
                """,
            setup: [SQL("INSERT INTO customer (company_id, account, currency) VALUES ('A', 'ONLY-A', 'EUR')")],
            bad: ["ONLY-A"], good: ["C1"], constraint: "customer_transaction_customer_fk", sqlState: foreignKey),
        // ---- reimbursement_job: values ----
        ConstraintCase(
            name: "unknown job mode",
            statement: "INSERT INTO reimbursement_job (company_id, mode) VALUES ('A', $1)",
            bad: ["dry_run"], good: ["preview"], constraint: "reimbursement_job_mode_valid", sqlState: check),
        ConstraintCase(
            name: "unknown job state",
            statement: "INSERT INTO reimbursement_job (company_id, state) VALUES ('A', $1)",
            bad: ["paused"], good: ["cancelled"], constraint: "reimbursement_job_state_valid", sqlState: check),
        ConstraintCase(
            name: "unknown debit_handling",
            statement: "INSERT INTO reimbursement_job (company_id, debit_handling) VALUES ('A', $1)",
            bad: ["ignore"], good: ["include"], constraint: "reimbursement_job_debit_handling_valid",
            sqlState: check),
        ConstraintCase(
            name: "debit_handling NET (net is accepted since 0016, in its own spelling only)",
            statement: "INSERT INTO reimbursement_job (company_id, debit_handling) VALUES ('A', $1)",
            bad: ["NET"], good: ["net"], constraint: "reimbursement_job_debit_handling_valid", sqlState: check),
        ConstraintCase(
            name: "max_attempts 0",
            statement: "INSERT INTO reimbursement_job (company_id, max_attempts) VALUES ('A', $1)",
            bad: [0], good: [1], constraint: "reimbursement_job_max_attempts_range", sqlState: check),
        ConstraintCase(
            name: "max_attempts 101",
            statement: "INSERT INTO reimbursement_job (company_id, max_attempts) VALUES ('A', $1)",
            bad: [101], good: [100], constraint: "reimbursement_job_max_attempts_range", sqlState: check),
        ConstraintCase(
            name: "negative attempts",
            statement: "UPDATE reimbursement_job SET attempts = $1 WHERE company_id = 'A' AND id = 901",
            bad: [-1], good: [0], constraint: "reimbursement_job_attempts_nonnegative", sqlState: check),
        ConstraintCase(
            name: "negative customers_total",
            statement: "UPDATE reimbursement_job SET customers_total = $1 WHERE company_id = 'A' AND id = 901",
            bad: [-1], good: [0], constraint: "reimbursement_job_progress_nonnegative", sqlState: check),
        ConstraintCase(
            name: "empty dedupe_key",
            statement: "INSERT INTO reimbursement_job (company_id, dedupe_key) VALUES ('A', $1)",
            bad: [""], good: ["k"], constraint: "reimbursement_job_dedupe_key_not_blank", sqlState: check),
        ConstraintCase(
            name: "job of an unknown company",
            statement: "INSERT INTO reimbursement_job (company_id) VALUES ($1)",
            bad: ["NOPE"], good: ["A"], constraint: "reimbursement_job_company_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "deleting a company that has jobs",
            statement: "DELETE FROM company WHERE id = $1",
            setup: [SQL("INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ('J', 'EUR', '2110')"),
                    SQL("INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ('K', 'EUR', '2110')"),
                    SQL("INSERT INTO reimbursement_job (company_id) VALUES ('J')")],
            bad: ["J"], good: ["K"], constraint: "reimbursement_job_company_fk", sqlState: foreignKey),
        // ---- reimbursement_job: queue rules ----
        ConstraintCase(
            name: "a second running job in one company",
            statement: "INSERT INTO reimbursement_job (company_id, state) VALUES ($1, 'running')",
            setup: [SQL("UPDATE reimbursement_job SET state = 'running' WHERE company_id = 'A' AND id = 901")],
            bad: ["A"], good: ["B"], constraint: "reimbursement_job_one_running_per_company", sqlState: unique),
        ConstraintCase(
            name: "duplicate dedupe_key among unfinished jobs",
            statement: "INSERT INTO reimbursement_job (company_id, dedupe_key) VALUES ($1, 'month-end-2024-03')",
            setup: [SQL("INSERT INTO reimbursement_job (company_id, dedupe_key, state) VALUES ('A', 'month-end-2024-03', 'running')")],
            bad: ["A"], good: ["B"], constraint: "reimbursement_job_dedupe_key_unfinished", sqlState: unique),
        // ---- reimbursement_job: approval ----
        ConstraintCase(
            name: "approves_job_id of another company",
            statement: "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)",
            bad: [906], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id of a failed preview",
            statement: "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)",
            bad: [903], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id of a queued preview",
            statement: "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)",
            bad: [904], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id of a succeeded post job",
            statement: "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)",
            bad: [905], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id of no job at all",
            statement: "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)",
            bad: [999_999], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id changed by UPDATE to a failed preview",
            statement: "UPDATE reimbursement_job SET approves_job_id = $1 WHERE company_id = 'A' AND id = 901",
            bad: [903], good: [902], constraint: "reimbursement_job_approves_succeeded_preview", sqlState: check),
        ConstraintCase(
            name: "approves_job_id on a preview job",
            statement: "INSERT INTO reimbursement_job (company_id, mode, approves_job_id) VALUES ('A', $1, 902)",
            bad: ["preview"], good: ["post"], constraint: "reimbursement_job_approves_requires_post",
            sqlState: check),
        ConstraintCase(
            name: "deleting an approved preview",
            statement: "DELETE FROM reimbursement_job WHERE company_id = 'A' AND id = $1",
            setup: [SQL("INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', 902)")],
            bad: [902], good: [903], constraint: "reimbursement_job_approves_fk", sqlState: foreignKey),
        // ---- reimbursement_job_attempt ----
        ConstraintCase(
            name: "unknown attempt outcome",
            statement: """
                INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker, outcome)
                VALUES ('A', 901, 1, 'host:1:0', $1)
                """,
            bad: ["crashed"], good: ["lost"], constraint: "reimbursement_job_attempt_outcome_valid", sqlState: check),
        ConstraintCase(
            name: "attempt of a job of another company",
            statement: """
                INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker)
                VALUES ('B', $1, 1, 'host:1:0')
                """,
            bad: [901], good: [906], constraint: "reimbursement_job_attempt_job_fk", sqlState: foreignKey),
        // ---- reimbursement, vendor_invoice, customer_settlement ----
        ConstraintCase(
            name: "reimbursement of zero",
            statement: """
                INSERT INTO reimbursement (company_id, job_id, customer_account, vendor_account, currency, amount,
                                           amount_accounting, voucher, posting_date)
                VALUES ('A', 905, 'C1', 'V1', 'EUR', $1::numeric, 1, 'RV-00000002', DATE '2024-03-31')
                """,
            bad: ["0"], good: ["1"], constraint: "reimbursement_amount_positive", sqlState: check),
        ConstraintCase(
            name: "reimbursement of a negative accounting amount (zero is a residue)",
            statement: """
                INSERT INTO reimbursement (company_id, job_id, customer_account, vendor_account, currency, amount,
                                           amount_accounting, voucher, posting_date)
                VALUES ('A', 905, 'C1', 'V1', 'EUR', 1, $1::numeric, 'RV-00000002', DATE '2024-03-31')
                """,
            bad: ["-0.01"], good: ["0"], constraint: "reimbursement_amount_accounting_positive", sqlState: check),
        ConstraintCase(
            name: "settlement of a negative accounting amount (zero is a residue)",
            statement: """
                INSERT INTO customer_settlement (company_id, job_id, reimbursement_id, debit_transaction_id,
                                                 credit_transaction_id, currency, amount, amount_accounting, settled_on)
                VALUES ('A', 905, 701, 5002, 5001, 'EUR', 50, $1::numeric, DATE '2024-03-31')
                """,
            bad: ["-1"], good: ["0"], constraint: "customer_settlement_amount_accounting_positive", sqlState: check),
        ConstraintCase(
            name: "reimbursement reusing a voucher",
            statement: """
                INSERT INTO reimbursement (company_id, job_id, customer_account, vendor_account, currency, amount,
                                           amount_accounting, voucher, posting_date)
                VALUES ('A', 905, 'C1', 'V1', 'EUR', 1, 1, $1, DATE '2024-03-31')
                """,
            bad: ["RV-00000001"], good: ["RV-00000002"], constraint: "reimbursement_voucher_key", sqlState: unique),
        ConstraintCase(
            name: "reimbursement for a job of another company",
            statement: """
                INSERT INTO reimbursement (company_id, job_id, customer_account, vendor_account, currency, amount,
                                           amount_accounting, voucher, posting_date)
                VALUES ('A', $1, 'C1', 'V1', 'EUR', 1, 1, 'RV-00000002', DATE '2024-03-31')
                """,
            bad: [906], good: [905], constraint: "reimbursement_job_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "vendor invoice settled beyond its amount",
            statement: """
                INSERT INTO vendor_invoice (company_id, vendor_account, invoice_number, voucher, invoice_date,
                                            due_date, currency, amount, amount_accounting, settled_amount)
                VALUES ('A', 'V1', 'VI-00000001', 'RV-00000001', DATE '2024-03-31', DATE '2024-04-14', 'EUR',
                        50, 50, $1::numeric)
                """,
            bad: ["50.000001"], good: ["50"], constraint: "vendor_invoice_settled_within_amount", sqlState: check),
        ConstraintCase(
            name: "vendor invoice due before its invoice date",
            statement: """
                INSERT INTO vendor_invoice (company_id, vendor_account, invoice_number, voucher, invoice_date,
                                            due_date, currency, amount, amount_accounting)
                VALUES ('A', 'V1', 'VI-00000001', 'RV-00000001', DATE '2024-03-31', $1::date, 'EUR', 50, 50)
                """,
            bad: ["2024-03-30"], good: ["2024-03-31"], constraint: "vendor_invoice_due_not_before_invoice",
            sqlState: check),
        ConstraintCase(
            name: "vendor invoice of a vendor of another company",
            statement: """
                INSERT INTO vendor_invoice (company_id, vendor_account, invoice_number, voucher, invoice_date,
                                            due_date, currency, amount, amount_accounting)
                VALUES ('A', $1, 'VI-00000001', 'RV-00000001', DATE '2024-03-31', DATE '2024-03-31', 'EUR', 50, 50)
                """,
            setup: [SQL("INSERT INTO vendor (company_id, account, currency) VALUES ('B', 'ONLY-B', 'USD')")],
            bad: ["ONLY-B"], good: ["V1"], constraint: "vendor_invoice_vendor_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "settlement of a credit against itself",
            statement: """
                INSERT INTO customer_settlement (company_id, job_id, reimbursement_id, debit_transaction_id,
                                                 credit_transaction_id, currency, amount, amount_accounting, settled_on)
                VALUES ('A', 905, 701, $1, 5001, 'EUR', 50, 50, DATE '2024-03-31')
                """,
            bad: [5001], good: [5002], constraint: "customer_settlement_distinct_transactions", sqlState: check),
        // ---- ledger_entry ----
        ConstraintCase(
            name: "customer_reimbursement line that is a credit",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                VALUES ('A', 'RV-00000001', 1, DATE '2024-03-31', '1200', 'customer_reimbursement', 'EUR',
                        $1::numeric, $1::numeric, 701)
                """,
            bad: ["-50"], good: ["50"], constraint: "ledger_entry_posting_type_side", sqlState: check),
        ConstraintCase(
            name: "ledger line with an accounting amount of the other sign (zero is a residue)",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                VALUES ('A', 'RV-00000001', 1, DATE '2024-03-31', '1200', 'customer_reimbursement', 'EUR',
                        0.01, $1::numeric, 701)
                """,
            bad: ["-0.01"], good: ["0"], constraint: "ledger_entry_accounting_same_sign", sqlState: check),
        ConstraintCase(
            name: "vendor_balance line that is a debit",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                VALUES ('A', 'RV-00000001', 2, DATE '2024-03-31', '2110', 'vendor_balance', 'EUR',
                        $1::numeric, $1::numeric, 701)
                """,
            bad: ["50"], good: ["-50"], constraint: "ledger_entry_posting_type_side", sqlState: check),
        ConstraintCase(
            name: "unknown ledger posting_type",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                VALUES ('A', 'RV-00000001', 1, DATE '2024-03-31', '1200', $1, 'EUR', 50, 50, 701)
                """,
            bad: ["customer"], good: ["customer_reimbursement"], constraint: "ledger_entry_posting_type_valid",
            sqlState: check),
        ConstraintCase(
            name: "ledger line of an unknown reimbursement",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency,
                                          amount, amount_accounting, reimbursement_id)
                VALUES ('A', 'RV-00000001', 1, DATE '2024-03-31', '1200', 'customer_reimbursement', 'EUR', 50, 50, $1)
                """,
            bad: [702], good: [701], constraint: "ledger_entry_reimbursement_fk", sqlState: foreignKey),
        // ---- reimbursement_proposal, reimbursement_skip ----
        ConstraintCase(
            name: "proposal without credits",
            statement: """
                INSERT INTO reimbursement_proposal (job_id, company_id, customer_account, currency, amount,
                                                    amount_accounting, credit_transaction_ids)
                VALUES (902, 'A', 'C1', 'EUR', 50, 50, $1::bigint[])
                """,
            bad: [[Int64]()], good: [[Int64(5001)]], constraint: "reimbursement_proposal_credits_present",
            sqlState: check),
        ConstraintCase(
            name: "skip reason not in the set",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance_accounting)
                VALUES (902, 'A', 'C1', NULL, $1, 50)
                """,
            bad: ["too_small"], good: ["on_hold"], constraint: "reimbursement_skip_reason_valid", sqlState: check),
        ConstraintCase(
            name: "below_minimum with NULL currency",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance, credit_balance_accounting)
                VALUES (902, 'A', 'C1', $1, 'below_minimum', NULL, 5)
                """,
            bad: [String?.none], good: ["EUR"], constraint: "reimbursement_skip_currency_matches_reason",
            sqlState: check),
        ConstraintCase(
            name: "on_hold with a currency",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance_accounting)
                VALUES (902, 'A', 'C1', $1, 'on_hold', 5)
                """,
            bad: ["EUR"], good: [String?.none], constraint: "reimbursement_skip_currency_matches_reason",
            sqlState: check),
        ConstraintCase(
            name: "NULL-currency skip with a credit_balance",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance, credit_balance_accounting)
                VALUES (902, 'A', 'C1', NULL, 'open_debits', $1::numeric, 5)
                """,
            bad: ["5"], good: [String?.none], constraint: "reimbursement_skip_balance_matches_currency",
            sqlState: check),
        ConstraintCase(
            name: "negative skip balance",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance, credit_balance_accounting)
                VALUES (902, 'A', 'C1', 'EUR', 'below_minimum', $1::numeric, 5)
                """,
            bad: ["-5"], good: ["5"], constraint: "reimbursement_skip_balance_nonnegative", sqlState: check),
        ConstraintCase(
            name: "skip of a job of another company",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, reason, credit_balance_accounting)
                VALUES ($1, 'A', 'C1', 'on_hold', 5)
                """,
            bad: [906], good: [902], constraint: "reimbursement_skip_job_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "invalid_data with a currency",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance_accounting, detail)
                VALUES (902, 'A', 'C1', $1, 'invalid_data', 5, 'credit 7: the credit balance does not fit')
                """,
            bad: ["EUR"], good: [String?.none], constraint: "reimbursement_skip_currency_matches_reason",
            sqlState: check),
        ConstraintCase(
            name: "invalid_data without detail",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason,
                                                credit_balance_accounting, detail)
                VALUES (902, 'A', 'C1', NULL, 'invalid_data', NULL, $1)
                """,
            bad: [String?.none], good: ["credit 7 cannot be read"],
            constraint: "reimbursement_skip_invalid_data_has_detail", sqlState: check),
        // ---- company_access ----
        ConstraintCase(
            name: "access to an unknown company",
            statement: "INSERT INTO company_access (role_name, company_id) VALUES ('someone', $1)",
            bad: ["NOPE"], good: ["A"], constraint: "company_access_company_fk", sqlState: foreignKey),
    ]
}

@Suite("Named constraints")
struct ConstraintTests {
    @Test("each named constraint rejects its bad row", arguments: ConstraintCase.all)
    func rejects(_ testCase: ConstraintCase) async throws {
        let database = try await TestServer.database()
        let (badError, goodError) = try await database.withConnection { connection in
            try ConstraintCase.seed(connection)
            for statement in testCase.setup { try connection.run(statement) }
            let bad = try connection.failure(SQL(testCase.statement, parameters: testCase.bad))
            let good = try testCase.good.map { try connection.failure(SQL(testCase.statement, parameters: $0)) } ?? nil
            return (bad, good)
        }
        let error = try #require(badError, "\(testCase.name): the bad row was accepted")
        #expect(error.constraintName == testCase.constraint, "\(describe(error))")
        #expect(error.sqlState == testCase.sqlState, "\(describe(error))")
        #expect(error.kind == .server)
        #expect(!error.isTransient)
        #expect(goodError == nil, "\(testCase.name): the corrected row was refused: \(describe(goodError))")
    }

    @Test func theTableCoversTheRequiredCases() {
        let names = Set(ConstraintCase.all.map(\.constraint))
        #expect(ConstraintCase.all.count >= 20)
        for required in [
            "currency_code_format", "customer_transaction_amount_nonzero",
            "customer_transaction_settled_within_amount", "company_minimum_reimbursement_nonnegative",
            "reimbursement_job_mode_valid", "reimbursement_job_state_valid", "reimbursement_job_debit_handling_valid",
            "reimbursement_job_approves_succeeded_preview", "reimbursement_job_approves_requires_post",
            "company_id_format", "number_sequence_name_valid", "number_sequence_width_range",
            "reimbursement_job_one_running_per_company", "reimbursement_job_dedupe_key_unfinished",
            "reimbursement_job_company_fk", "reimbursement_skip_reason_valid",
            "reimbursement_skip_currency_matches_reason", "ledger_entry_posting_type_side",
        ] {
            #expect(names.contains(required), "no case for \(required)")
        }
    }

    /// Every constraint the table names exists in the schema under that name (catches a typo in
    /// a case and a renamed constraint alike).
    @Test func everyNamedConstraintExists() async throws {
        let database = try await TestServer.database()
        let known = try await database.withConnection { connection in
            Set(try connection.strings("""
                SELECT conname::text FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
                UNION
                SELECT indexrelid::regclass::text FROM pg_index i
                  JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = current_schema()::regnamespace
                UNION
                -- Raised by a trigger under a constraint's name (sql/0022: references checked per statement).
                SELECT (regexp_matches(prosrc, 'CONSTRAINT = ''(\\w+)''', 'g'))[1] FROM pg_proc
                 WHERE pronamespace = current_schema()::regnamespace
                UNION
                -- ... or named by the trigger's first argument (check_statement_reference).
                SELECT split_part(encode(t.tgargs, 'escape'), '\\000', 1)
                  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                 WHERE p.proname = 'check_statement_reference' AND p.pronamespace = current_schema()::regnamespace
                """))
        }
        for name in Set(ConstraintCase.all.map(\.constraint)).subtracting(["reimbursement_job_approves_succeeded_preview"]) {
            #expect(known.contains(name), "\(name) is not a constraint or index of the schema")
        }
    }
}
