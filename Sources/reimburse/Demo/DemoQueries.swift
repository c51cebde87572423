import Postgres
import ReimburseStore

/// The demo's database work, one function per step. Each runs on the demo's connection thread
/// and returns what is printed, so narration stays in ``DemoCommand``.
struct DemoQueries {
    let connection: PostgresConnection

    func migrate() throws -> (SchemaMigrator.Outcome, String) {
        let directory = try SchemaMigrator.locateDirectory(explicit: nil)
        return (try SchemaMigrator(directory: directory).migrate(connection), directory)
    }

    func currentSchema() throws -> String {
        try connection.queryValue(String?.self, "SELECT current_schema()").flatMap { $0 } ?? "?"
    }

    func serverVersion() throws -> String {
        try connection.queryValue(String.self, "SHOW server_version") ?? "?"
    }

    /// Runs an `INSERT ... RETURNING id` exactly as printed.
    func enqueue(_ statement: String, company: String) throws -> DemoJob {
        guard let id = try connection.queryValue(Int64.self, statement) else {
            throw CommandFailure("the demo's INSERT returned no job id", exitCode: .internalError)
        }
        return DemoJob(id: id, company: company, statement: statement)
    }

    func summaries(_ jobs: [DemoJob]) throws -> [String] {
        try jobs.map { try JobSummary.read(job: $0.id, company: $0.company, on: connection).line }
    }

    func jobState(_ job: DemoJob) throws -> String {
        try JobProgress.read(job: job.id, company: job.company, on: connection).state
    }

    func proposals(of job: DemoJob) throws -> TextTable {
        var table = TextTable(
            headers: ["currency", "proposals", "new one-time vendors", "amount", "amount_accounting"],
            rightAligned: [false, true, true, true, true])
        let rows = try connection.query(
            """
            SELECT currency, count(*), count(*) FILTER (WHERE vendor_account IS NULL),
                   sum(amount)::text, sum(amount_accounting)::text
              FROM reimbursement_proposal WHERE company_id = $1 AND job_id = $2
             GROUP BY currency ORDER BY currency
            """, job.company, job.id
        ) { row in
            [try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2),
             DecimalDisplay.trimmed(try row.decode(String.self, at: 3)),
             DecimalDisplay.trimmed(try row.decode(String.self, at: 4))]
        }
        rows.forEach { table.append($0) }
        return table
    }

    /// A customer with a proposal in the preview: a new payment of theirs arrives before the
    /// approval, which must then leave them out (changed_since_preview).
    func customerToChange(after preview: DemoJob, currency: String) throws -> String? {
        try connection.queryValue(
            String?.self,
            """
            SELECT customer_account FROM reimbursement_proposal
             WHERE company_id = $1 AND job_id = $2 AND currency = $3 ORDER BY customer_account LIMIT 1
            """, preview.company, preview.id, currency) ?? nil
    }

    func execute(_ statement: String) throws {
        try connection.execute(statement)
    }

    func reportTotals(_ jobs: [DemoJob]) throws -> TextTable {
        var table = TextTable(
            headers: ["company", "job", "currency", "reimbursements", "one-time vendors", "amount", "amount_accounting"],
            rightAligned: [false, true, false, true, true, true, true])
        let rows = try connection.query(
            """
            SELECT company_id, job_id::text, currency, count(*)::text,
                   count(*) FILTER (WHERE one_time_vendor)::text, sum(amount)::text, sum(amount_accounting)::text
              FROM reimbursement_report WHERE job_id = ANY($1::bigint[])
             GROUP BY company_id, job_id, currency ORDER BY company_id, job_id, currency
            """, jobs.map(\.id)
        ) { row in
            try (0..<7).map { index in
                let text = try row.decode(String.self, at: index)
                return index >= 5 ? DecimalDisplay.trimmed(text) : text
            }
        }
        rows.forEach { table.append($0) }
        return table
    }

    /// The first rows of each company, in the report's own layout.
    func reportSample(_ jobs: [DemoJob], rowsPerCompany: Int) throws -> (TextTable, Int) {
        let shown: Set = [
            "company_id", "job_id", "voucher", "customer_account", "customer_name", "vendor_account",
            "one_time_vendor", "currency", "amount", "invoice_number", "status",
        ]
        let columns = ReportQuery.columns.filter { shown.contains($0.name) }
        var table = TextTable(headers: columns.map(\.name), rightAligned: columns.map(\.kind.isRightAligned))
        let names = columns.map(\.name).joined(separator: ", ")
        let result = try connection.execute(
            """
            SELECT \(names), total FROM (
                SELECT r.*, row_number() OVER (PARTITION BY company_id ORDER BY customer_account, reimbursement_id) AS n,
                       count(*) OVER () AS total
                  FROM reimbursement_report r WHERE job_id = ANY($1::bigint[])) numbered
             WHERE n <= $2 ORDER BY company_id, n
            """, jobs.map(\.id), rowsPerCompany)
        var total = 0
        for row in result.rows {
            table.append(columns.enumerated().map { CellText.display(row[$0], kind: $1.kind, forTable: true) })
            total = Int(row[columns.count] ?? "0") ?? 0
        }
        return (table, total)
    }

    func skipReasons(_ jobs: [DemoJob]) throws -> TextTable {
        var table = TextTable(
            headers: ["company", "job", "reason", "customers", "currencies", "balance (accounting)"],
            rightAligned: [false, true, false, true, true, true])
        let rows = try connection.query(
            """
            SELECT s.company_id, s.job_id::text, s.reason, count(DISTINCT s.customer_account)::text,
                   count(DISTINCT s.currency)::text,
                   coalesce(sum(s.credit_balance_accounting), 0)::text, c.accounting_currency
              FROM reimbursement_skip s JOIN company c ON c.id = s.company_id
             WHERE s.job_id = ANY($1::bigint[])
             GROUP BY s.company_id, s.job_id, s.reason, c.accounting_currency
             ORDER BY s.company_id, s.job_id, s.reason
            """, jobs.map(\.id)
        ) { row in
            [try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2),
             try row.decode(String.self, at: 3), try row.decode(String.self, at: 4) == "0" ? "-" : try row.decode(String.self, at: 4),
             DecimalDisplay.trimmed(try row.decode(String.self, at: 5)) + " " + (try row.decode(String.self, at: 6))]
        }
        rows.forEach { table.append($0) }
        return table
    }

    func jobOverview(_ jobs: [DemoJob]) throws -> TextTable {
        var table = TextTable(
            headers: ["job_id", "company_id", "mode", "state", "attempts", "customers", "reimbursements", "skipped",
                      "took", "last_error"],
            rightAligned: [true, false, false, false, true, true, true, true, true, false])
        let rows = try connection.query(
            """
            SELECT job_id::text, company_id, mode, state, attempts::text,
                   customers_done || '/' || coalesce(customers_total::text, '?'),
                   reimbursements::text, skipped::text,
                   coalesce(round(extract(epoch FROM finished_at - started_at) * 1000)::bigint, 0)::text,
                   coalesce(last_error, '')
              FROM job_overview WHERE job_id = ANY($1::bigint[]) ORDER BY job_id
            """, jobs.map(\.id)
        ) { row in
            try (0..<10).map { index -> String in
                let text = try row.decode(String.self, at: index)
                return index == 8 ? "\(text) ms" : text
            }
        }
        rows.forEach { table.append($0) }
        return table
    }
}
