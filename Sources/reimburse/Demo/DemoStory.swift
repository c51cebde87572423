import Logging
import Postgres

/// The demo's narrative after the server is up, one method per chapter. Every database step
/// runs on the demo's connection thread; the daemon runs as `reimburse serve` would.
struct DemoStory {
    let database: PostgresConnectionThread
    let conninfo: String?
    let daemonLogger: Logger
    let customers: Int
    var printer: DemoPrinter

    mutating func tell() async throws {
        try await migrate()
        try await loadSample()
        var jobs = try await enqueueFirstJobs()
        try await runDaemon(summarizing: jobs)
        if let approval = try await approvePreview(jobs[0]) { jobs.append(approval) }
        try await showResults(of: jobs)
        try await showFinancialControls()
        try await showNetting()
        try await reverseOne(of: jobs[1])
        try await payOpenInvoices()
    }

    /// Runs the real daemon until no job is runnable, on the schema the demo migrated.
    func runDaemonUntilIdle() async throws {
        let schema = try await query { try $0.currentSchema() }
        try await DaemonRunner.runUntilIdle(conninfo: conninfo, schema: schema, logger: daemonLogger)
    }

    func query<T: Sendable>(_ body: @escaping @Sendable (DemoQueries) throws -> T) async throws -> T {
        try await database.withConnection { try body(DemoQueries(connection: $0)) }
    }

    private mutating func migrate() async throws {
        printer.heading("Schema (reimburse migrate)")
        let (outcome, directory) = try await query { try $0.migrate() }
        printer.line("\(outcome.applied.count) migrations applied, \(outcome.alreadyApplied.count) already applied, "
            + "from \(directory)")
    }

    private mutating func loadSample() async throws {
        printer.heading("Sample data, loaded with COPY")
        let started = ContinuousClock.now
        let sample = SampleDataGenerator().generate(totalCustomers: customers)
        let counts = try await database.withConnection { connection in
            let loader = SampleLoader(connection: connection)
            try loader.refuseExistingCompanies()
            return try loader.load(sample)
        }
        printer.line("\(counts.customers) customers, \(counts.vendors) vendors, \(counts.transactions) customer "
            + "transactions in \(counts.companies) companies (\(DemoPrinter.elapsed(since: started)))")
        printer.line()
        printer.table(DemoSample.companies(sample))
        printer.line()
        printer.table(DemoSample.situations(sample))
    }

    /// A preview for USMF (approved later), one reimbursement per ledger account for DEMF, and
    /// customers with open debits included for GBSI.
    private mutating func enqueueFirstJobs() async throws -> [DemoJob] {
        printer.heading("Jobs, enqueued by plain SQL (what an ERP would do)")
        let statements = [
            ("USMF", "INSERT INTO reimbursement_job (company_id, mode) VALUES ('USMF', 'preview') RETURNING id"),
            ("DEMF", "INSERT INTO reimbursement_job (company_id, summarize) VALUES ('DEMF', false) RETURNING id"),
            ("GBSI", "INSERT INTO reimbursement_job (company_id, debit_handling) VALUES ('GBSI', 'include') RETURNING id"),
        ]
        var jobs: [DemoJob] = []
        for (company, statement) in statements {
            let job = try await query { try $0.enqueue(statement, company: company) }
            printer.sql(statement + ";", result: "job \(job.id)")
            jobs.append(job)
        }
        return jobs
    }

    private mutating func runDaemon(summarizing jobs: [DemoJob]) async throws {
        printer.heading("The daemon runs them (reimburse serve --exit-when-idle, 2 workers)")
        let started = ContinuousClock.now
        try await runDaemonUntilIdle()
        printer.line("idle after \(DemoPrinter.elapsed(since: started))")
        for line in try await query({ try $0.summaries(jobs) }) {
            printer.line(line)
        }
    }

    /// Shows the proposals, lets one customer's credits change, approves, and runs the daemon
    /// again: the approval posts the proposals except the changed customer's.
    private mutating func approvePreview(_ preview: DemoJob) async throws -> DemoJob? {
        printer.heading("Review the preview, then approve it")
        let state = try await query { try $0.jobState(preview) }
        guard state == "succeeded" else {
            printer.line("the preview did not succeed (state \(state)); nothing to approve")
            return nil
        }
        printer.line("job \(preview.id) proposes (reimbursement_proposal):")
        printer.table(try await query { try $0.proposals(of: preview) })
        if let account = try await query({ try $0.customerToChange(after: preview, currency: "USD") }) {
            let change = "INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, "
                + "amount, amount_accounting, ledger_account) VALUES ('USMF', \(SQLLiteral.text(account)), "
                + "'PAY-LATE-1', 'payment', 'USD', -5.00, -5.00, '1200')"
            printer.line()
            printer.line("Meanwhile a new payment of customer \(account) arrives:")
            try await query { try $0.execute(change) }
            printer.sql(change + ";")
            printer.line("so the approval must leave that customer out (changed_since_preview).")
        }
        let approve = "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('USMF', \(preview.id)) RETURNING id"
        let approval = try await query { try $0.enqueue(approve, company: "USMF") }
        printer.line()
        printer.sql(approve + ";", result: "job \(approval.id)")
        let started = ContinuousClock.now
        try await runDaemonUntilIdle()
        printer.line("the daemon ran it in \(DemoPrinter.elapsed(since: started)):")
        for line in try await query({ try $0.summaries([approval]) }) {
            printer.line(line)
        }
        return approval
    }

    private mutating func showResults(of jobs: [DemoJob]) async throws {
        printer.heading("Reimbursement report (reimburse report), totals")
        printer.table(try await query { try $0.reportTotals(jobs) })
        let (sampleRows, total) = try await query { try $0.reportSample(jobs, rowsPerCompany: 4) }
        printer.line()
        printer.line("the first rows of each company, of \(total):")
        printer.table(sampleRows)

        printer.heading("Why customers were left out (reimbursement_skip)")
        printer.table(try await query { try $0.skipReasons(jobs) })

        printer.heading("Jobs (job_overview)")
        printer.table(try await query { try $0.jobOverview(jobs) })
    }
}
