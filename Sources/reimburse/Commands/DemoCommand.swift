import ArgumentParser
import Foundation
import Logging
import Postgres

/// `reimburse demo`: the whole story on a private PostgreSQL, in under a minute.
struct DemoCommand: AsyncParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole story on a private, throwaway PostgreSQL.",
        discussion: """
            Starts a private PostgreSQL (unix socket only, in a temporary folder), migrates \
            it, loads three sample companies (USMF in USD with a minimum of 10.00, DEMF in EUR \
            without minimum, GBSI in GBP with 25.00) whose customers cover every rule, \
            enqueues jobs with plain SQL (a preview, its approval, a job per ledger account, a \
            job including customers with open debits), runs the daemon until idle, and prints \
            the report, the skip reasons and the job overview. Then it stops and removes the \
            server (also on Ctrl-C), unless --keep.

            Given --database-url or $DATABASE_URL, it uses that database instead (migrates it \
            and loads the sample there; refused when company USMF, DEMF or GBSI exists).

            Examples:
              reimburse demo
              reimburse demo --keep --customers 20000
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Leave the private PostgreSQL running and print how to connect and stop it.")
    var keep = false

    @Option(help: ArgumentHelp("Sample customers, over the three companies.", valueName: "n"))
    var customers = 3000

    func validate() throws {
        guard (SampleDataGenerator.minimumCustomers...2_000_000).contains(customers) else {
            throw ValidationError(
                "--customers must be between \(SampleDataGenerator.minimumCustomers) and 2000000 "
                    + "(every company gets each customer situation once)")
        }
    }

    func run() async throws {
        // Logger first: a bad LOG_LEVEL is reported before a server is started.
        let daemonLogger = try global.makeLogger(label: "reimburse.demo.daemon", fallbackLevel: .warning)
        let cleanup = InterruptCleanup()
        cleanup.install()
        var printer = DemoPrinter()
        print("Reimburse demo: customer credit balances become vendor payables.")

        printer.heading("PostgreSQL")
        let started = ContinuousClock.now
        let server: DemoServer
        if global.databaseWasGiven {
            server = .given(conninfo: global.conninfo)
        } else {
            let setup = DedicatedThread(name: "reimburse-demo-setup")
            defer { setup.shutdown() }
            do {
                server = try await setup.run { try DemoServer.startPrivate(interruptCleanup: cleanup) }
            } catch {
                cleanup.parkIfInterrupted()
                throw error
            }
        }
        let database = PostgresConnectionThread(
            conninfo: server.conninfo, applicationName: "reimburse demo", name: "reimburse-demo")
        do {
            let version = try await database.withConnection { try DemoQueries(connection: $0).serverVersion() }
            if let cluster = server.cluster {
                printer.line("started a private PostgreSQL \(version) in \(cluster.directory) (\(DemoPrinter.elapsed(since: started)))")
            } else {
                printer.line("using the database you named (PostgreSQL \(version))")
            }
            try await tell(&printer, database: database, server: server, logger: daemonLogger)
        } catch {
            cleanup.parkIfInterrupted()
            await database.close()
            cleanup.release()
            if let cluster = server.cluster {
                if keep {
                    Terminal.printNote("the demo's PostgreSQL is kept in \(cluster.directory) (--keep)")
                } else {
                    cluster.destroy()
                }
            }
            throw error
        }
        await database.close()
        cleanup.release()
        guard let cluster = server.cluster else { return }
        print("")
        if keep {
            server.keepInstructions().forEach { print($0) }
        } else {
            cluster.destroy()
            print("Stopped and removed the demo's PostgreSQL. Keep it next time with: reimburse demo --keep")
        }
    }

    /// The story, step by step; every database step runs on the demo's connection thread.
    private func tell(
        _ printer: inout DemoPrinter, database: PostgresConnectionThread, server: DemoServer, logger: Logger
    ) async throws {
        printer.heading("Schema (reimburse migrate)")
        let (outcome, directory) = try await database.withConnection { try DemoQueries(connection: $0).migrate() }
        printer.line("\(outcome.applied.count) migrations applied, \(outcome.alreadyApplied.count) already applied, from \(directory)")

        printer.heading("Sample data, loaded with COPY")
        var clock = ContinuousClock.now
        let customers = self.customers
        let sample = SampleDataGenerator().generate(totalCustomers: customers)
        let counts = try await database.withConnection { connection in
            let loader = SampleLoader(connection: connection)
            try loader.refuseExistingCompanies()
            return try loader.load(sample)
        }
        printer.line("\(counts.customers) customers, \(counts.vendors) vendors, \(counts.transactions) customer "
            + "transactions in \(counts.companies) companies (\(DemoPrinter.elapsed(since: clock)))")
        printer.line()
        printer.table(DemoSample.companies(sample))
        printer.line()
        printer.table(DemoSample.situations(sample))

        printer.heading("Jobs, enqueued by plain SQL (what an ERP would do)")
        let previewSQL = "INSERT INTO reimbursement_job (company_id, mode) VALUES ('USMF', 'preview') RETURNING id"
        let perLedgerSQL = "INSERT INTO reimbursement_job (company_id, summarize) VALUES ('DEMF', false) RETURNING id"
        let includeSQL = "INSERT INTO reimbursement_job (company_id, debit_handling) VALUES ('GBSI', 'include') RETURNING id"
        var jobs: [DemoJob] = []
        for (statement, company) in [(previewSQL, "USMF"), (perLedgerSQL, "DEMF"), (includeSQL, "GBSI")] {
            let job = try await database.withConnection { try DemoQueries(connection: $0).enqueue(statement, company: company) }
            printer.sql(statement + ";", result: "job \(job.id)")
            jobs.append(job)
        }
        let preview = jobs[0]

        printer.heading("The daemon runs them (reimburse serve --exit-when-idle, 2 workers)")
        clock = ContinuousClock.now
        try await DaemonRunner.runUntilIdle(conninfo: server.conninfo, logger: logger)
        printer.line("idle after \(DemoPrinter.elapsed(since: clock))")
        let firstJobs = jobs
        for line in try await database.withConnection({ try DemoQueries(connection: $0).summaries(firstJobs) }) {
            printer.line(line)
        }

        printer.heading("Review the preview, then approve it")
        let previewState = try await database.withConnection { try DemoQueries(connection: $0).jobState(preview) }
        if previewState == "succeeded" {
            let proposals = try await database.withConnection { try DemoQueries(connection: $0).proposals(of: preview) }
            printer.line("job \(preview.id) proposes (reimbursement_proposal):")
            printer.table(proposals)
            if let account = try await database.withConnection({
                try DemoQueries(connection: $0).customerToChange(after: preview, currency: "USD")
            }) {
                printer.line()
                printer.line("Meanwhile a new payment of customer \(account) arrives:")
                let change = "INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, "
                    + "amount, amount_accounting, ledger_account) VALUES ('USMF', \(SQLLiteral.text(account)), "
                    + "'PAY-LATE-1', 'payment', 'USD', -5.00, -5.00, '1200')"
                try await database.withConnection { try DemoQueries(connection: $0).execute(change) }
                printer.sql(change + ";")
                printer.line("so the approval must leave that customer out (changed_since_preview).")
            }
            let approveSQL = "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('USMF', \(preview.id)) RETURNING id"
            let approval = try await database.withConnection {
                try DemoQueries(connection: $0).enqueue(approveSQL, company: "USMF")
            }
            printer.line()
            printer.sql(approveSQL + ";", result: "job \(approval.id)")
            jobs.append(approval)
            clock = ContinuousClock.now
            try await DaemonRunner.runUntilIdle(conninfo: server.conninfo, logger: logger)
            printer.line("the daemon ran it in \(DemoPrinter.elapsed(since: clock)):")
            for line in try await database.withConnection({ try DemoQueries(connection: $0).summaries([approval]) }) {
                printer.line(line)
            }
        } else {
            printer.line("the preview did not succeed (state \(previewState)); nothing to approve")
        }

        let allJobs = jobs
        printer.heading("Reimbursement report (reimburse report), totals")
        printer.table(try await database.withConnection { try DemoQueries(connection: $0).reportTotals(allJobs) })
        let (sampleRows, total) = try await database.withConnection {
            try DemoQueries(connection: $0).reportSample(allJobs, rowsPerCompany: 4)
        }
        printer.line()
        printer.line("the first rows of each company, of \(total):")
        printer.table(sampleRows)

        printer.heading("Why customers were left out (reimbursement_skip)")
        printer.table(try await database.withConnection { try DemoQueries(connection: $0).skipReasons(allJobs) })

        printer.heading("Jobs (job_overview)")
        printer.table(try await database.withConnection { try DemoQueries(connection: $0).jobOverview(allJobs) })
    }
}
