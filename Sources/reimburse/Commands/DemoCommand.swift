import ArgumentParser
import Foundation
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

            It never uses $DATABASE_URL, PGHOST or any other PG* setting: it removes them \
            from its own environment and connects only to the server it started, so a shell \
            set up for a real database runs the demo beside it, not in it.

            Only --database-url on the command line makes it use another database, and then \
            only an empty schema: the first existing schema of the search_path must hold no \
            table, view, sequence, index, function or type, and no schema of the database may \
            hold a Reimburse schema (reimburse_schema_migration). Otherwise it refuses with \
            one line (exit 65) before writing anything. For a schema of its own: \
            CREATE SCHEMA demo; then --database-url 'postgresql://.../db?options=-csearch_path%3Ddemo'.

            The daemon's own log (stderr) shows warnings only, unless --log-level or \
            $LOG_LEVEL asks for more.

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
        if let url = global.commandLineDatabaseURL, url.isEmpty {
            throw ValidationError(
                "--database-url is empty; leave it out to run the demo on a private server")
        }
        guard (SampleDataGenerator.minimumCustomers...2_000_000).contains(customers) else {
            throw ValidationError(
                "--customers must be between \(SampleDataGenerator.minimumCustomers) and 2000000 "
                    + "(every company gets each customer situation once)")
        }
    }

    func run() async throws {
        // Logger first: a bad LOG_LEVEL is reported before a server is started.
        let namedDatabase = global.commandLineDatabaseURL
        if namedDatabase == nil { PrivateServerEnvironment.clear() }
        let daemonLogger = try global.makeLogger(label: "reimburse.demo.daemon", fallbackLevel: .warning)
        let cleanup = InterruptCleanup()
        cleanup.install()
        var printer = DemoPrinter()
        Terminal.printLine("Reimburse demo: customer credit balances become vendor payables.")

        printer.heading("PostgreSQL")
        let started = ContinuousClock.now
        let server: DemoServer
        if let namedDatabase {
            server = .given(conninfo: namedDatabase)
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
                let schema = try await database.withConnection { connection in
                    try EmptySchemaCheck(connection: connection).requireEmpty()
                    return try DemoQueries(connection: connection).currentSchema()
                }
                printer.line("using the database you named (PostgreSQL \(version)), its empty schema \"\(schema)\"")
            }
            var story = DemoStory(
                database: database, conninfo: server.conninfo, daemonLogger: daemonLogger, customers: customers,
                printer: printer)
            try await story.tell()
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
        Terminal.printLine()
        if keep {
            server.keepInstructions().forEach { Terminal.printLine($0) }
        } else {
            cluster.destroy()
            Terminal.printLine("Stopped and removed the demo's PostgreSQL. Keep it next time with: reimburse demo --keep")
        }
    }
}
