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

            Given --database-url or $DATABASE_URL, it uses that database instead (migrates it \
            and loads the sample there; refused when company USMF, DEMF or GBSI exists).

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
        print("")
        if keep {
            server.keepInstructions().forEach { print($0) }
        } else {
            cluster.destroy()
            print("Stopped and removed the demo's PostgreSQL. Keep it next time with: reimburse demo --keep")
        }
    }
}
