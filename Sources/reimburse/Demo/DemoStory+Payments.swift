import Postgres

/// The payment chapter (PRODUCT.md section 9): DEMF pays its open reimbursement invoices and
/// the run's ISO 20022 document is shown. The demo's last chapter.
extension DemoStory {
    /// Example accounts with valid check digits, handed to the vendors round robin.
    static let demoIBANs = [
        "FR1420041010050500013M02606", "NL91ABNA0417164300", "BE68539007547034", "AT611904300234573201",
        "IT60X0542811101000000123456", "ES9121000418450200051332",
    ]

    mutating func payOpenInvoices() async throws {
        printer.heading("Pay the reimbursements: a payment run writes an ISO 20022 pain.001 file (operation = 'pay')")
        let bank = "UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_account_bic = 'COBADEFFXXX', "
            + "bank_ledger_account = '1800' WHERE id = 'DEMF'"
        let (vendors, executionDate) = try await database.withConnection { connection in
            try connection.execute(bank)
            // Every vendor with an open invoice gets an account, except the first: its invoice is skipped.
            let vendors = try connection.query("""
                SELECT DISTINCT vendor_account FROM vendor_invoice
                 WHERE company_id = 'DEMF' AND settled_amount = 0 AND reversal_id IS NULL ORDER BY 1
                """) { try $0.decode(String.self, at: 0) }
            for (index, vendor) in vendors.enumerated().dropFirst() {
                try connection.execute(
                    "INSERT INTO vendor_bank_account (company_id, vendor_account, iban) VALUES ('DEMF', $1, $2) ON CONFLICT DO NOTHING",
                    vendor, Self.demoIBANs[index % Self.demoIBANs.count])
            }
            let date = try connection.queryValue(
                String.self, "SELECT max(due_date)::text FROM vendor_invoice WHERE company_id = 'DEMF'") ?? "2026-12-31"
            return (vendors, date)
        }
        printer.sql(bank + ";")
        printer.line("\(max(0, vendors.count - 1)) vendors got a bank account (vendor_bank_account); "
            + "\(vendors.first ?? "none") has none")
        let statement = "INSERT INTO reimbursement_job (company_id, operation, posting_date) "
            + "VALUES ('DEMF', 'pay', \(SQLLiteral.text(executionDate))) RETURNING id"
        let pay = try await database.withConnection { connection in
            try DemoQueries(connection: connection).enqueue(statement, company: "DEMF")
        }
        printer.sql(statement + ";", result: "job \(pay.id)")
        try await runDaemonUntilIdle()
        let (summary, file) = try await database.withConnection { connection in
            (try connection.queryValue(String.self, """
                SELECT format('job %s %s: %s invoices paid, %s skipped no_bank_account, %s file(s)', id, state,
                              result #>> '{payment,paid}', result #>> '{payment,skipped,no_bank_account}',
                              result ->> 'files')
                  FROM reimbursement_job WHERE id = $1
                """, pay.id) ?? "",
             try connection.query("""
                SELECT format, currency::text, transactions, control_sum::text, sha256, document
                  FROM payment_file WHERE job_id = $1 ORDER BY currency LIMIT 1
                """, pay.id) { row in
                (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(Int.self, at: 2),
                 try row.decode(String.self, at: 3), try row.decode(String.self, at: 4), try row.decode(String.self, at: 5))
             }.first)
        }
        printer.line(summary)
        guard let file else { return }
        printer.line("payment_file: \(file.0), \(file.1), \(file.2) transfers, control sum \(file.3), "
            + "sha256 \(file.4.prefix(16))...; reimburse payments --job \(pay.id) prints it whole. Its first lines:")
        for line in file.5.split(separator: "\n", omittingEmptySubsequences: false).prefix(22) {
            printer.line("  " + line)
        }
    }
}
