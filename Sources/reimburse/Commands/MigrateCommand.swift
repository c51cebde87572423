import ArgumentParser
import Foundation
import ReimburseStore

/// `reimburse migrate`: brings the schema up to date from the numbered files of `sql/`.
struct MigrateCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the database schema up to date from sql/.",
        discussion: """
            Applies the sql/NNNN_*.sql files the database has not seen, each in its own \
            transaction, and records them with a checksum. Safe to run twice and from two hosts \
            at once (the second waits, then finds nothing to do). An applied file that was \
            edited afterwards is refused (exit 78).

            The folder is --sql-dir, else $REIMBURSE_SQL_DIR, else share/reimburse/sql beside \
            the binary, else a sql/ folder above the binary or in the working directory.

            With --wait-for-database it waits for a database that cannot be reached yet \
            (a server still starting after a reboot or an outage), saying so every 10 \
            seconds; the systemd unit runs it so, before every start.
            Example:
              reimburse migrate --wait-for-database=240
              reimburse migrate --database-url postgresql://reimburse@db.example.com/reimburse
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The folder of the migration files.", valueName: "dir"))
    var sqlDir: String?

    @Option(
        name: .customLong("wait-for-database"),
        help: ArgumentHelp(
            "Wait for a database that cannot be reached yet: --wait-for-database (no limit) or "
                + "--wait-for-database=SECONDS (then exit 69). A login the server refuses is not waited for (exit 78).",
            valueName: "seconds"))
    var waitForDatabase: DatabaseWait?

    func run() throws {
        // Files first: a missing folder is reported without touching the database.
        if let sqlDir, !FileManager.default.fileExists(atPath: sqlDir) {
            throw CommandFailure("the migrations folder \(sqlDir) does not exist", exitCode: .configuration)
        }
        let directory = try SchemaMigrator.locateDirectory(explicit: sqlDir)
        let migrator = try SchemaMigrator(directory: directory)
        let connection = try waitForDatabase.map { try $0.connect(global, as: "migrate") }
            ?? global.connect(as: "migrate")
        let outcome = try migrator.migrate(connection)
        for name in outcome.applied {
            Terminal.printLine("applied \(name)")
        }
        if outcome.applied.isEmpty {
            Terminal.printLine("schema is up to date: nothing applied, \(outcome.alreadyApplied.count) already applied (\(directory))")
        } else {
            Terminal.printLine("\(outcome.applied.count) applied, \(outcome.alreadyApplied.count) already applied (\(directory))")
        }
    }
}
