import Postgres

extension DemoStory {
    /// The netting chapter (PRODUCT.md §7): a GBSI customer who paid EUR 120.00 in advance and
    /// was later invoiced EUR 45.00 at another rate gets only the EUR 75.00 remainder back; the
    /// voucher shows the exchange difference.
    mutating func showNetting() async throws {
        printer.heading("Netting: credits settled against open invoices first (debit_handling = 'net')")
        let setup = [
            "UPDATE company SET exchange_difference_account = '7800' WHERE id = 'GBSI'",
            "INSERT INTO customer (company_id, account, name, currency) VALUES ('GBSI', 'NET-0001', 'Netting Ltd', 'EUR')",
            "INSERT INTO customer_transaction (company_id, customer_account, voucher, transaction_date, kind, currency, "
                + "amount, amount_accounting, ledger_account) VALUES "
                + "('GBSI', 'NET-0001', 'PAY-N1', DATE '2026-01-10', 'payment', 'EUR', -120.00, -105.00, '1200'), "
                + "('GBSI', 'NET-0001', 'INV-N1', DATE '2026-02-01', 'invoice', 'EUR', 45.00, 38.25, '1200')",
        ]
        let statement = "INSERT INTO reimbursement_job (company_id, customer_accounts, debit_handling) "
            + "VALUES ('GBSI', ARRAY['NET-0001'], 'net') RETURNING id"
        let job = try await database.withConnection { connection in
            for sql in setup { try connection.execute(sql) }
            return try DemoQueries(connection: connection).enqueue(statement, company: "GBSI")
        }
        for sql in setup { printer.sql(sql + ";") }
        printer.sql(statement + ";", result: "job \(job.id)")
        try await runDaemonUntilIdle()
        let lines = try await database.withConnection { connection in
            try connection.query("""
                SELECT e.account, e.posting_type, e.amount::text, e.amount_accounting::text
                  FROM ledger_entry e JOIN reimbursement r ON r.company_id = e.company_id AND r.id = e.reimbursement_id
                 WHERE r.company_id = 'GBSI' AND r.job_id = $1 ORDER BY e.voucher, e.line
                """, job.id) { row in
                [try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                 DecimalDisplay.trimmed(try row.decode(String.self, at: 2)),
                 DecimalDisplay.trimmed(try row.decode(String.self, at: 3))]
            }
        }
        printer.line("EUR 45.00 of the payment nets the invoice (39.375 at the payment's rate, 38.25 at the "
            + "invoice's: a gain of 1.125); EUR 75.00 is reimbursed. Its voucher:")
        var table = TextTable(headers: ["account", "posting_type", "EUR", "accounting"], rightAligned: [false, false, true, true])
        lines.forEach { table.append($0) }
        printer.table(table)
    }
}
