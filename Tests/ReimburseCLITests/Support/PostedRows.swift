import Postgres

/// Two posted reimbursements written directly, consistent with each other: customers,
/// vendors, a finished job, the reimbursements and their vendor invoices (one partly paid,
/// one paid). The first customer's name needs CSV quoting.
enum PostedRows {
    static let awkwardName = "Smith, Jones & \"Partners\""

    @discardableResult
    static func insert(on connection: PostgresConnection) throws -> Int64 {
        try Fixtures.company("USMF", on: connection)
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, currency) VALUES
                ('USMF', 'C-1', $1, 'USD'), ('USMF', 'C-2', 'Plain Name', 'USD')
            """, awkwardName)
        try connection.execute("""
            INSERT INTO vendor (company_id, account, name, currency, one_time, customer_account) VALUES
                ('USMF', 'V-1', $1, 'USD', false, NULL), ('USMF', 'OTV-1', 'Plain Name', 'USD', true, 'C-2')
            """, awkwardName)
        let job = try connection.queryValue(Int64.self, """
            INSERT INTO reimbursement_job (company_id, state, finished_at) VALUES ('USMF', 'succeeded', now())
            RETURNING id
            """)!
        try connection.execute("""
            INSERT INTO reimbursement (company_id, id, job_id, customer_account, vendor_account, one_time_vendor_created,
                                       currency, amount, amount_accounting, voucher, posting_date, vendor_invoice_id)
            VALUES ('USMF', 1, $1, 'C-1', 'V-1', false, 'USD', 1234.5, 1234.5, 'RV-1', '2024-03-31', 1),
                   ('USMF', 2, $1, 'C-2', 'OTV-1', true, 'USD', 0.01, 0.01, 'RV-2', '2024-04-02', 2)
            """, job)
        try connection.execute("""
            INSERT INTO vendor_invoice (company_id, id, vendor_account, invoice_number, voucher, invoice_date, due_date,
                                        currency, amount, amount_accounting, settled_amount, reimbursement_id)
            VALUES ('USMF', 1, 'V-1', 'VI-1', 'RV-1', '2024-03-31', '2024-04-14', 'USD', 1234.5, 1234.5, 234.5, 1),
                   ('USMF', 2, 'OTV-1', 'VI-2', 'RV-2', '2024-04-02', '2024-04-16', 'USD', 0.01, 0.01, 0.01, 2)
            """)
        return job
    }
}
