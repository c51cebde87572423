import Foundation
import Postgres

/// One company with N customers, one post job, the daemon as a separate process; compared with
/// COPY of exactly the rows the job wrote, on the same server in the same run.
struct LargeScenario {
    let bench: BenchCluster
    let launcher: DaemonLauncher
    let customers: Int
    let chunkSizes: [Int?]
    let seed: UInt64
    let profile: Bool

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

    struct Result {
        var customers: Int
        var chunkSize: Int?
        var wallSeconds: Double
        var jobSeconds: Double
        var outputRows: Int
        var settledCredits: Int
        var copySeconds: Double
        var peakRSSKilobytes: Int
        var cpuSeconds: Double
        var walBytes: Int
        var perTable: [(String, Int, Double)]
    }

    func run() throws -> [Result] {
        let template = "large_\(customers)"
        report("== large: 1 company, \(Format.grouped(customers)) customers, seed \(seed)")
        try bench.createDatabase(template)
        // The loading session must be gone before the database serves as a template.
        try load(into: template)
        var results: [Result] = []
        for chunkSize in chunkSizes {
            let database: String
            if chunkSizes.count == 1 {
                database = template
            } else {
                database = "\(template)_run"
                try bench.cloneDatabase(template, to: database)
            }
            results.append(try runOnce(database: database, chunkSize: chunkSize))
            if database != template { bench.dropDatabase(database) }
        }
        bench.dropDatabase(template)
        return results
    }

    private func load(into database: String) throws {
        let connection = try bench.connect(database)
        try DataGenerator.createCompanies(["BIG"], on: connection)
        let (counts, loadSeconds) = try Stopwatch.time {
            try DataGenerator(seed: seed).load(companies: ["BIG"], customersPerCompany: customers, on: connection)
        }
        let (_, vacuumSeconds) = try Stopwatch.time { try connection.execute(DataGenerator.analyzeSQL) }
        report("  load (COPY): \(Format.grouped(counts.customers)) customers, \(Format.grouped(counts.vendors)) vendors, "
            + "\(Format.grouped(counts.transactions)) open transactions in \(Format.seconds(loadSeconds)) "
            + "(\(Format.grouped(Int(Double(counts.customers + counts.vendors + counts.transactions) / loadSeconds))) rows/s); "
            + "VACUUM ANALYZE \(Format.seconds(vacuumSeconds))")
    }

    private func runOnce(database: String, chunkSize: Int?) throws -> Result {
        let connection = try bench.connect(database)
        if profile {
            try connection.execute("ALTER DATABASE \(database) SET log_min_duration_statement = 0")
        }
        try connection.execute("CHECKPOINT")
        let logOffset = (try? FileManager.default.attributesOfItem(atPath: bench.cluster.logFile)[.size] as? Int) ?? 0
        let walBefore = try connection.textValue("SELECT pg_current_wal_lsn()::text")
        let jobID = try connection.intValue("INSERT INTO reimbursement_job (company_id) VALUES ('BIG') RETURNING id")
        let chunkLabel = chunkSize.map(String.init) ?? "default (500)"
        report("  run: job \(jobID), chunk size \(chunkLabel), daemon \(launcher.kind)")
        let daemon = try launcher.start(
            conninfo: bench.conninfo(database), workers: 1, exitWhenIdle: true, chunkSize: chunkSize,
            logName: "large-\(customers)-\(chunkSize ?? 500)")
        let exit = try daemon.wait()
        let walBytes = try connection.intValue("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", walBefore)
        if profile {
            try connection.execute("ALTER DATABASE \(database) RESET log_min_duration_statement")
        }
        let state = try connection.textValue("SELECT state || coalesce(': ' || last_error, '') FROM reimbursement_job WHERE id = $1", jobID)
        guard state == "succeeded", exit.exitCode == 0 else {
            throw BenchmarkError("large: job \(jobID) ended \(state), daemon exit \(exit.exitCode); see \(launcher.logFolder)")
        }
        let jobSeconds = try connection.queryValue(
            Double.self, "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM reimbursement_job WHERE id = $1",
            jobID) ?? 0
        let settled = try connection.intValue("SELECT count(*) FROM customer_settlement")
        let result = try connection.textValue("SELECT result::text FROM reimbursement_job WHERE id = $1", jobID)

        // The write limit: the same rows, COPY'd into empty copies of the output tables.
        var perTable: [(String, Int, Double)] = []
        let reader = try bench.connect(database)
        let writer = try bench.connect(database)
        for (table, _, _) in Self.outputTables {
            try writer.execute("DROP TABLE IF EXISTS \(table)_copy")
            try writer.execute("CREATE TABLE \(table)_copy (LIKE \(table) INCLUDING ALL)")
        }
        try writer.execute("CHECKPOINT")
        for (table, columns, filter) in Self.outputTables {
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
        for (table, _, _) in Self.outputTables { try writer.execute("DROP TABLE \(table)_copy") }

        let outputRows = perTable.reduce(0) { $0 + $1.1 }
        let copySeconds = perTable.reduce(0) { $0 + $1.2 }
        let outcome = Result(
            customers: customers, chunkSize: chunkSize, wallSeconds: exit.seconds, jobSeconds: jobSeconds,
            outputRows: outputRows, settledCredits: settled, copySeconds: copySeconds,
            peakRSSKilobytes: exit.maxRSSKilobytes, cpuSeconds: exit.userSeconds + exit.systemSeconds, walBytes: walBytes,
            perTable: perTable)
        report("  result: \(result)")
        report("  daemon wall \(Format.seconds(exit.seconds)) (job started->finished \(Format.seconds(jobSeconds))), "
            + "\(Format.grouped(Int(Double(customers) / exit.seconds))) customers/s, "
            + "\(Format.grouped(Int(Double(outputRows) / exit.seconds))) output rows/s")
        report("  daemon peak RSS \(Format.mebibytes(kilobytes: exit.maxRSSKilobytes)) (goal <= 150 MiB), "
            + "daemon CPU \(Format.seconds(exit.userSeconds)) user + \(Format.seconds(exit.systemSeconds)) sys, "
            + "WAL \(Format.grouped(walBytes / 1_048_576)) MiB")
        report("  output rows: " + perTable.map { "\($0.0) \(Format.grouped($0.1))" }.joined(separator: ", ")
            + "; plus UPDATE of \(Format.grouped(settled)) settled credits (not part of the COPY limit)")
        report("  COPY limit: \(Format.grouped(outputRows)) rows in \(Format.seconds(copySeconds)) ("
            + perTable.map { "\($0.0) \(Format.fixed($0.2, 2))" }.joined(separator: ", ") + ")")
        report("  ratio daemon / COPY: \(Format.fixed(exit.seconds / copySeconds, 2))x (goal <= 2x)")
        if profile {
            report(ServerLogProfile.summarize(logFile: bench.cluster.logFile, from: logOffset, wallSeconds: exit.seconds))
        }
        return outcome
    }
}

/// With `log_min_duration_statement = 0`, sums the server-side time per statement, so the
/// daemon's wall time splits into server work and everything else (client, round trips).
enum ServerLogProfile {
    static func summarize(logFile: String, from offset: Int, wallSeconds: Double) -> String {
        guard let handle = FileHandle(forReadingAtPath: logFile) else { return "  profile: cannot read \(logFile)" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(offset))
        let data = handle.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        var totals: [String: (count: Int, milliseconds: Double)] = [:]
        var all = 0.0
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "duration: ") else { continue }
            let rest = line[range.upperBound...]
            guard let space = rest.firstIndex(of: " "), let milliseconds = Double(rest[..<space]) else { continue }
            var statement = rest[space...].dropFirst(3).trimmingCharacters(in: .whitespaces)
            for prefix in ["statement: ", "execute <unnamed>: ", "parse <unnamed>: ", "bind <unnamed>: "] {
                if statement.hasPrefix(prefix) {
                    statement = String(prefix.prefix(while: { $0 != " " && $0 != ":" })) + " " + statement.dropFirst(prefix.count)
                }
            }
            let key = String(statement.prefix(70))
            totals[key, default: (0, 0)].count += 1
            totals[key, default: (0, 0)].milliseconds += milliseconds
            all += milliseconds
        }
        var lines = ["  profile (server-side statement time, log_min_duration_statement=0; the logging itself adds time):",
                     "    all statements: \(Format.seconds(all / 1000)) of \(Format.seconds(wallSeconds)) daemon wall "
                        + "(\(Format.fixed(all / 10 / wallSeconds, 0))%)"]
        for (key, value) in totals.sorted(by: { $0.value.milliseconds > $1.value.milliseconds }).prefix(14) {
            lines.append("    \(Format.fixed(value.milliseconds / 1000, 2)) s  x\(value.count)  \(key)")
        }
        return lines.joined(separator: "\n")
    }
}
