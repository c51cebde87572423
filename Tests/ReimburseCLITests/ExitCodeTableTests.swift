import Foundation
import LocalPostgres
import Postgres
import Synchronization
import ReimburseTestSupport
import Testing

/// Issue 19 item 5: every command against every class of error, each with the exit code of
/// the README's table and one line on stderr.
@Suite("exit codes: every command x every error class")
struct ExitCodeTableTests {
    /// A command and the arguments that make it do its work once the database is reachable.
    struct Command: Sendable, CustomStringConvertible {
        var arguments: [String]
        /// Commands that read or change a schema that must exist (all but migrate and demo).
        var needsSchema = true
        /// The arguments that name a company that does not exist, when the command takes one.
        var unknownCompany: [String]?
        /// The arguments that name a job that does not exist, when the command takes one.
        var unknownJob: [String]?
        /// The command's words without its arguments, for `--bogus` (`job show`).
        var words: [String] { Array(arguments.prefix { !$0.hasPrefix("-") && Int($0) == nil }) }
        var description: String { arguments.joined(separator: " ") }
    }

    static let commands: [Command] = [
        Command(arguments: ["migrate"], needsSchema: false),
        Command(arguments: ["serve", "--exit-when-idle", "--workers", "1"]),
        Command(arguments: ["enqueue", "--company", "USMF"],
                unknownCompany: ["enqueue", "--company", "NOPE"]),
        Command(arguments: ["report"], unknownCompany: ["report", "--company", "NOPE"],
                unknownJob: ["report", "--job", "99999"]),
        Command(arguments: ["status"]),
        Command(arguments: ["verify"], unknownCompany: ["verify", "--company", "NOPE"]),
        Command(arguments: ["demo", "--customers", "36"], needsSchema: false),
        Command(arguments: ["jobs"], unknownCompany: ["jobs", "--company", "NOPE"]),
        Command(arguments: ["job", "show", "1"], unknownJob: ["job", "show", "99999"]),
        Command(arguments: ["cancel", "1"], unknownJob: ["cancel", "99999"]),
        Command(arguments: ["retry", "1"], unknownJob: ["retry", "99999"]),
    ]

    private func expectOneLine(
        _ outcome: ProcessOutcome, _ code: Int32, containing text: String, _ label: String
    ) {
        #expect(outcome.exitCode == code, "\(label): \(outcome)")
        #expect(outcome.errorLines.count == 1, "\(label): \(outcome)")
        #expect(outcome.standardError.hasPrefix("reimburse: error: "), "\(label): \(outcome)")
        #expect(outcome.standardError.contains(text), "\(label): \(outcome)")
    }

    private func run(_ arguments: [String], url: String) async throws -> ProcessOutcome {
        try await Reimburse.start(arguments + ["--database-url", url]).wait(timeout: .seconds(60))
    }

    @Test(arguments: commands)
    func unknownFlagIsAUsageErrorNamingTheFlag(command: Command) async throws {
        // --bogus alone, before any required option: the flag is what is wrong.
        let outcome = try await Reimburse.start(command.words + ["--bogus"]).wait(timeout: .seconds(60))
        expectOneLine(outcome, 64, containing: "'--bogus'", "\(command) --bogus")
    }

    @Test(arguments: commands)
    func malformedConnectionStringIsAUsageError(command: Command) async throws {
        let outcome = try await run(command.arguments, url: "host=/nonexistent dbname")
        expectOneLine(outcome, 64, containing: "--database-url", "\(command) malformed")
        let uri = try await run(command.arguments, url: "postgresql://alice:s3cret@/x?nonsense=1")
        expectOneLine(uri, 64, containing: "nonsense", "\(command) malformed URI")
        #expect(!uri.standardError.contains("s3cret"), "\(uri)")
    }

    @Test(arguments: commands)
    func unreachableDatabaseExits69(command: Command) async throws {
        let outcome = try await run(command.arguments, url: "host=/nonexistent dbname=x")
        expectOneLine(outcome, 69, containing: "/nonexistent", "\(command) unreachable")
    }

    @Test(arguments: commands)
    func refusedLoginExits78(command: Command) async throws {
        let server = try await TestServer.shared()
        let cluster = try #require(server.cluster, "needs the private test cluster to add a password login")
        let database = try await TestServer.database()
        let unknownDatabase = try await run(command.arguments, url: cluster.conninfo(database: "no_such_database_19"))
        expectOneLine(unknownDatabase, 78, containing: "no_such_database_19", "\(command) unknown database")
        let unknownRole = try await run(command.arguments, url: "\(database.conninfo) user=no_such_role_19")
        expectOneLine(unknownRole, 78, containing: "no_such_role_19", "\(command) unknown role")
        try await PasswordLogin.ensure(cluster: cluster)
        let wrongPassword = try await run(
            command.arguments, url: "\(database.conninfo) user=\(PasswordLogin.role) password=wrong-one-19")
        expectOneLine(wrongPassword, 78, containing: "password authentication failed", "\(command) wrong password")
        #expect(!wrongPassword.standardError.contains("wrong-one-19"), "\(wrongPassword)")
    }

    @Test(arguments: commands.filter(\.needsSchema))
    func missingSchemaExits78SayingToMigrate(command: Command) async throws {
        let database = try await TestServer.database(migrated: false)
        let outcome = try await run(command.arguments, url: database.conninfo)
        expectOneLine(outcome, 78, containing: "reimburse migrate", "\(command) unmigrated")
    }

    @Test(arguments: commands.filter { $0.unknownCompany != nil || $0.unknownJob != nil })
    func unknownCompanyOrJobIsBadData(command: Command) async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        if let arguments = command.unknownCompany {
            let outcome = try await run(arguments, url: database.conninfo)
            expectOneLine(outcome, 65, containing: "unknown company 'NOPE'", "\(arguments)")
        }
        if let arguments = command.unknownJob {
            let outcome = try await run(arguments, url: database.conninfo)
            expectOneLine(outcome, 65, containing: "unknown job 99999", "\(arguments)")
        }
    }

    @Test func noSubcommandPrintsTheUsageAndFails() async throws {
        let outcome = try await Reimburse.run()
        #expect(outcome.exitCode == 64, "\(outcome)")
        #expect(outcome.standardOutput.isEmpty, "\(outcome)")
        #expect(outcome.standardError.contains("USAGE: reimburse"), "\(outcome)")
    }

    @Test func versionIsPrinted() async throws {
        let outcome = try await Reimburse.run("--version")
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(outcome)")
    }
}

/// A login that must give a password: a line for this one role at the top of the test
/// cluster's pg_hba.conf (every other login keeps trust), added once per test process.
enum PasswordLogin {
    static let role = "reimburse_password_login_19"
    private static let installation = Mutex<Task<Void, any Error>?>(nil)

    static func ensure(cluster: LocalPostgresCluster) async throws {
        let task = installation.withLock { task in
            if let task { return task }
            let created = Task { try install(cluster: cluster) }
            task = created
            return created
        }
        try await task.value
    }

    private static func install(cluster: LocalPostgresCluster) throws {
        let hba = "\(cluster.directory)/data/pg_hba.conf"
        let current = try String(contentsOfFile: hba, encoding: .utf8)
        let line = "local all \(role) scram-sha-256\n"
        if !current.hasPrefix(line) { try (line + current).write(toFile: hba, atomically: false, encoding: .utf8) }
        let connection = try PostgresConnection(conninfo: cluster.conninfo())
        try connection.execute("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reimburse_password_login_19') THEN
                CREATE ROLE reimburse_password_login_19 LOGIN PASSWORD 'right-one-19';
              END IF;
            END $$
            """)
        try connection.execute("SELECT pg_reload_conf()")
        usleep(300_000)
    }
}
