import Postgres

/// Four posted reimbursements whose customer and vendor names are instructions rather than
/// names: spreadsheet formulas, ANSI escape sequences, a carriage return, a right-to-left
/// override. One vendor invoice is overpaid (its check constraint dropped in this throwaway
/// database) so that `open_amount` is the negative number -10.00.
enum HostileRows {
    static let hyperlink = "=HYPERLINK(\"http://x\",\"y\")"
    static let atSum = "@SUM(1+1)"
    static let ansi = "\u{1B}[2J\u{1B}[31mRED"
    static let bidi = "Evil\u{202E}lanigiro"
    static let vendorWithReturn = "Pay\rback"
    static let vendorStartingWithReturn = "\rSUM"
    static let vendorStartingWithMinus = "-2+3"

    @discardableResult
    static func insert(on connection: PostgresConnection) throws -> Int64 {
        try Fixtures.company("USMF", on: connection)
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, currency) VALUES
                ('USMF', 'C-1', $1, 'USD'), ('USMF', 'C-2', $2, 'USD'), ('USMF', 'C-3', $3, 'USD'),
                ('USMF', 'C-4', $4, 'USD')
            """, hyperlink, atSum, ansi, bidi)
        try connection.execute("""
            INSERT INTO vendor (company_id, account, name, currency) VALUES
                ('USMF', 'V-1', $1, 'USD'), ('USMF', 'V-2', $2, 'USD'), ('USMF', 'V-3', $3, 'USD'),
                ('USMF', 'V-4', 'Plain', 'USD')
            """, vendorWithReturn, vendorStartingWithReturn, vendorStartingWithMinus)
        let job = try connection.queryValue(Int64.self, """
            INSERT INTO reimbursement_job (company_id, state, finished_at) VALUES ('USMF', 'succeeded', now())
            RETURNING id
            """)!
        try connection.execute("""
            INSERT INTO reimbursement (company_id, id, job_id, customer_account, vendor_account, one_time_vendor_created,
                                       currency, amount, amount_accounting, voucher, posting_date, vendor_invoice_id)
            SELECT 'USMF', n, $1, 'C-' || n, 'V-' || n, false, 'USD', 10 * n, 10 * n, 'RV-' || n, '2024-03-31', n
              FROM generate_series(1, 4) n
            """, job)
        try connection.execute("ALTER TABLE vendor_invoice DROP CONSTRAINT vendor_invoice_settled_within_amount")
        try connection.execute("""
            INSERT INTO vendor_invoice (company_id, id, vendor_account, invoice_number, voucher, invoice_date, due_date,
                                        currency, amount, amount_accounting, settled_amount, reimbursement_id)
            SELECT 'USMF', n, 'V-' || n, 'VI-' || n, 'RV-' || n, '2024-03-31', '2024-04-14', 'USD', 10 * n, 10 * n,
                   CASE n WHEN 3 THEN 40 ELSE 0 END, n
              FROM generate_series(1, 4) n
            """)
        return job
    }
}
