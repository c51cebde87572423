public import Postgres

/// Small builders for test ledgers, all with bound parameters, so tests read as the business
/// story they check.
public enum LedgerFixture {
    /// A company with its number sequences (created by the schema's trigger).
    public static func company(
        _ id: String, currency: String = "USD", minimum: String = "0", summaryAccount: String = "2100",
        oneTimeGroup: String = "OTV", paymentDays: Int = 14, on connection: PostgresConnection
    ) throws {
        try connection.execute("""
            INSERT INTO company (id, name, accounting_currency, minimum_reimbursement, vendor_summary_account,
                                 one_time_vendor_group, reimbursement_payment_days)
            VALUES ($1, $1 || ' Inc', $2, $3::numeric, $4, $5, $6)
            """, id, currency, minimum, summaryAccount, oneTimeGroup, paymentDays)
    }

    public static func customer(
        _ company: String, _ account: String, currency: String = "USD", group: String? = "RETAIL",
        vendorAccount: String? = nil, onHold: Bool = false, on connection: PostgresConnection
    ) throws {
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address)
            VALUES ($1, $2, 'Customer ' || $2, $3, $4, $5, $6, $2 || ' Main Street')
            """, company, account, group, currency, vendorAccount, onHold)
    }

    public static func vendor(
        _ company: String, _ account: String, currency: String = "USD", oneTimeFor customer: String? = nil,
        on connection: PostgresConnection
    ) throws {
        try connection.execute("""
            INSERT INTO vendor (company_id, account, name, vendor_group, currency, address, one_time, customer_account)
            VALUES ($1, $2, 'Vendor ' || $2, 'TRADE', $3, 'somewhere', $4, $5)
            """, company, account, currency, customer != nil, customer)
    }

    /// A transaction; `amount` is signed (credits negative). Returns its id.
    @discardableResult
    public static func transaction(
        _ company: String, _ customer: String, amount: String, accounting: String? = nil, currency: String = "USD",
        kind: String? = nil, settled: String = "0", settledAccounting: String? = nil, ledgerAccount: String = "1200",
        marked: Bool = false, on connection: PostgresConnection
    ) throws -> Int64 {
        let isCredit = amount.hasPrefix("-")
        return try connection.queryValue(Int64.self, """
            INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, amount,
                amount_accounting, settled_amount, settled_amount_accounting, ledger_account, marked_for_settlement)
            VALUES ($1, $2, 'V-' || $2, $3, $4, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9, $10)
            RETURNING id
            """, company, customer, kind ?? (isCredit ? "payment" : "invoice"), currency, amount,
            accounting ?? amount, settled, settledAccounting ?? settled, ledgerAccount, marked)!
    }

    /// Enqueues a job as a user would, returning its id.
    @discardableResult
    public static func job(
        _ company: String, mode: String = "post", accounts: [String]? = nil, groups: [String]? = nil,
        debitHandling: String = "skip", summarize: Bool = true, postingDate: String? = "2026-11-25",
        approves: Int64? = nil, on connection: PostgresConnection
    ) throws -> Int64 {
        try connection.queryValue(Int64.self, """
            INSERT INTO reimbursement_job (company_id, mode, customer_accounts, customer_groups, debit_handling,
                                           summarize, posting_date, approves_job_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8) RETURNING id
            """, company, mode, accounts, groups, debitHandling, summarize, postingDate, approves)!
    }
}
