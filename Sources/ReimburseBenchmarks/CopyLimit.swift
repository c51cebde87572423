import Postgres

/// The write limit of a job: exactly the rows it wrote, COPY'd by the superuser into empty
/// copies of the output tables (`LIKE ... INCLUDING ALL`: same columns, checks and indexes, no
/// foreign keys), on the same server in the same run.
enum CopyLimit {
    /// The tables a post job writes, with the columns ChunkPoster writes and which rows count.
    static let outputTables: [(table: String, columns: String, filter: String)] = [
        ("vendor", "company_id, account, name, vendor_group, currency, address, one_time, customer_account", "one_time"),
        ("customer_transaction",
         "company_id, id, customer_account, voucher, transaction_date, kind, currency, amount, amount_accounting, "
            + "settled_amount, settled_amount_accounting, ledger_account", "kind = 'reimbursement'"),
        ("reimbursement",
         "company_id, id, job_id, customer_account, vendor_account, one_time_vendor_created, currency, amount, "
            + "amount_accounting, voucher, posting_date, vendor_invoice_id", "true"),
        ("vendor_invoice",
         "company_id, id, vendor_account, invoice_number, voucher, invoice_date, due_date, currency, amount, "
            + "amount_accounting, reimbursement_id", "true"),
        ("customer_settlement",
         "company_id, id, job_id, reimbursement_id, debit_transaction_id, credit_transaction_id, currency, amount, "
            + "amount_accounting, settled_on", "true"),
        ("ledger_entry",
         "company_id, voucher, line, posting_date, account, posting_type, currency, amount, amount_accounting, "
            + "reimbursement_id", "true"),
        ("reimbursement_skip",
         "job_id, company_id, customer_account, currency, reason, credit_balance, credit_balance_accounting", "true"),
    ]

    /// Per table: rows and seconds of COPY plus commit.
    static func measure(bench: BenchCluster, database: String) throws -> [(table: String, rows: Int, seconds: Double)] {
        var perTable: [(String, Int, Double)] = []
        let reader = try bench.connect(database)
        let writer = try bench.connect(database)
        for (table, _, _) in outputTables {
            try writer.execute("DROP TABLE IF EXISTS \(table)_copy")
            try writer.execute("CREATE TABLE \(table)_copy (LIKE \(table) INCLUDING ALL)")
        }
        try writer.execute("CHECKPOINT")
        for (table, columns, filter) in outputTables {
            var rows = 0
            var seconds = 0.0
            try reader.execute("BEGIN")
            try reader.execute("DECLARE source NO SCROLL CURSOR FOR SELECT \(columns) FROM \(table) WHERE \(filter)")
            let columnCount = columns.split(separator: ",").count
            try writer.execute("BEGIN")
            while true {
                let batch = try reader.execute("FETCH 50000 FROM source")
                if batch.rowCount == 0 { break }
                var values: [[any PostgresEncodable]] = []
                values.reserveCapacity(batch.rowCount)
                for index in 0..<batch.rowCount {
                    let row = batch[index]
                    values.append((0..<columnCount).map { row[$0] as String? })
                }
                let (_, copySeconds) = try Stopwatch.time {
                    try writer.copyIn("COPY \(table)_copy (\(columns)) FROM STDIN") { copy in
                        for row in values { try copy.row(values: row) }
                    }
                }
                seconds += copySeconds
                rows += batch.rowCount
            }
            let (_, commitSeconds) = try Stopwatch.time { try writer.execute("COMMIT") }
            seconds += commitSeconds
            try reader.execute("COMMIT")
            perTable.append((table, rows, seconds))
        }
        for (table, _, _) in outputTables { try writer.execute("DROP TABLE \(table)_copy") }
        return perTable
    }
}
