import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Every mistake a person can make gets one line on stderr and its own exit code.
@Suite("command-line errors")
struct ErrorPathTests {
    static let prefix = "reimburse: error: "

    private func expectOneLine(_ outcome: ProcessOutcome, exitCode: Int32, containing text: String) {
        #expect(outcome.exitCode == exitCode, "\(outcome)")
        #expect(outcome.errorLines.count == 1, "\(outcome)")
        #expect(outcome.standardError.hasPrefix(Self.prefix), "\(outcome)")
        #expect(outcome.standardError.contains(text), "\(outcome)")
        #expect(!outcome.standardError.contains("Fatal error"), "\(outcome)")
        #expect(outcome.standardOutput.isEmpty, "\(outcome)")
    }

    @Test func badFlagIsAUsageErrorNamingTheHelp() async throws {
        let outcome = try await Reimburse.run("enqueue", "--company", "USMF", "--bogus")
        expectOneLine(outcome, exitCode: 64, containing: "'--bogus'")
        #expect(outcome.standardError.contains("reimburse enqueue --help"))
    }

    @Test func badChoiceAndConflictingFlagsAreUsageErrors() async throws {
        let choice = try await Reimburse.run("enqueue", "--company", "USMF", "--debit-handling", "nett")
        expectOneLine(choice, exitCode: 64, containing: "nett")
        let conflict = try await Reimburse.run("enqueue", "--company", "USMF", "--preview", "--approve", "3")
        expectOneLine(conflict, exitCode: 64, containing: "--approve")
        let level = try await Reimburse.run("status", "--log-level", "loud")
        expectOneLine(level, exitCode: 64, containing: "loud")
        let unknownCommand = try await Reimburse.run("reimburse-everything")
        #expect(unknownCommand.exitCode == 64, "\(unknownCommand)")
    }

    @Test func badPostingDateIsBadDataBeforeConnecting() async throws {
        // The database named here does not exist: the date must be refused first.
        let outcome = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--posting-date", "2024-02-30", "--database-url", "host=/nonexistent dbname=x")
        expectOneLine(outcome, exitCode: 65, containing: "--posting-date: \"2024-02-30\" is not a day of the calendar")
        let notADate = try await Reimburse.run("report", "--from", "31/03/2024", "--database-url", "host=/nonexistent")
        expectOneLine(notADate, exitCode: 65, containing: "--from")
        let badTime = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--run-at", "tomorrow", "--database-url", "host=/nonexistent")
        expectOneLine(badTime, exitCode: 65, containing: "--run-at")
    }

    /// run_at is refused outside the years 0001-9999 (sql/0010, reimbursement_job_run_at_range);
    /// the command says so before connecting instead of passing PostgreSQL's raw date error on.
    @Test func runAtOutsideTheSupportedYearsIsBadDataBeforeConnecting() async throws {
        for time in ["0000-06-01T00:00:00Z", "10000-01-01T00:00:00Z"] {
            let outcome = try await Reimburse.run(
                "enqueue", "--company", "USMF", "--run-at", time, "--database-url", "host=/nonexistent dbname=x")
            expectOneLine(outcome, exitCode: 65, containing: "--run-at: \"\(time)\" is outside the years 0001 to 9999")
        }
    }

    /// Issue 12 item 7: a 6 kB dedupe key was PostgreSQL's raw "index row size exceeds btree
    /// maximum" (exit 70, internal error); it is the named limit, in the flag's terms.
    @Test func overlongDedupeKeyIsBadDataNamingTheLimit() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let key = String((0..<6_000).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let outcome = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--dedupe-key", key, "--database-url", database.conninfo)
        expectOneLine(outcome, exitCode: 65, containing: "--dedupe-key is 6000 characters long; at most 255 are allowed")
        #expect(!outcome.standardError.contains(key), "the key itself is not echoed back")
        let count = try await database.withConnection { try $0.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job") }
        #expect(count == 0)
    }

    @Test func unreachableDatabaseIsOneLineWithoutThePassword() async throws {
        let conninfo = try await Reimburse.run(
            "status", "--database-url", "host=/nonexistent dbname=x user=alice password=s3cret-conninfo")
        expectOneLine(conninfo, exitCode: 69, containing: "cannot connect to database \"x\" as user \"alice\"")
        #expect(!conninfo.standardError.contains("s3cret-conninfo"))

        let url = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--database-url", "postgresql://alice:s3cret-url@/x?host=/nonexistent")
        expectOneLine(url, exitCode: 69, containing: "/nonexistent")
        #expect(!url.standardError.contains("s3cret-url"))

        let environment = try await Reimburse.run(
            "report", environment: ["DATABASE_URL": "postgresql://bob:s3cret-env@/y?host=/nonexistent"])
        expectOneLine(environment, exitCode: 69, containing: "as user \"bob\"")
        #expect(!environment.standardError.contains("s3cret-env"))
    }

    @Test func missingMigrationFolderIsAConfigurationError() async throws {
        let outcome = try await Reimburse.run(
            "migrate", "--sql-dir", "/nonexistent/sql", "--database-url", "host=/nonexistent dbname=x")
        expectOneLine(outcome, exitCode: 78, containing: "/nonexistent/sql")
    }

    @Test func badEnvironmentSettingIsAConfigurationError() async throws {
        let outcome = try await Reimburse.run(
            "serve", "--exit-when-idle", environment: ["LOG_LEVEL": "chatty", "DATABASE_URL": "host=/nonexistent"])
        expectOneLine(outcome, exitCode: 78, containing: "LOG_LEVEL 'chatty'")
        let workers = try await Reimburse.run(
            "serve", "--exit-when-idle", environment: ["REIMBURSE_WORKERS": "many", "DATABASE_URL": "host=/nonexistent"])
        expectOneLine(workers, exitCode: 78, containing: "REIMBURSE_WORKERS 'many'")
    }

    @Test func editedMigrationIsAConfigurationError() async throws {
        let database = try await TestServer.database(migrated: false)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reimburse-sql-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: TestServer.sqlDirectory, toPath: folder.path)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try await Reimburse.run("migrate", "--sql-dir", folder.path, "--database-url", database.conninfo)
        #expect(first.exitCode == 0, "\(first)")
        let file = folder.appendingPathComponent("0001_companies_and_customers.sql")
        let edited = try String(contentsOf: file, encoding: .utf8) + "\n-- edited after it was applied\n"
        try edited.write(to: file, atomically: true, encoding: .utf8)
        let second = try await Reimburse.run("migrate", "--sql-dir", folder.path, "--database-url", database.conninfo)
        expectOneLine(second, exitCode: 78, containing: "0001_companies_and_customers.sql was changed")
    }

    @Test func unknownCompanyIsBadData() async throws {
        let database = try await TestServer.database()
        let outcome = try await Reimburse.run("enqueue", "--company", "NOPE", "--database-url", database.conninfo)
        expectOneLine(outcome, exitCode: 65, containing: "unknown company 'NOPE'")
        #expect(try await database.withConnection { try $0.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job") } == 0)
    }

    @Test func approvingAJobThatIsNotASucceededPreviewIsBadData() async throws {
        let database = try await TestServer.database()
        let (preview, post) = try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            let preview = try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id, mode) VALUES ('USMF', 'preview') RETURNING id")!
            let post = try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('USMF') RETURNING id")!
            return (preview, post)
        }
        let queuedPreview = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--approve", String(preview), "--database-url", database.conninfo)
        expectOneLine(
            queuedPreview, exitCode: 65,
            containing: "cannot approve job \(preview): it is a preview job in state queued")
        let postJob = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--approve", String(post), "--database-url", database.conninfo)
        expectOneLine(postJob, exitCode: 65, containing: "it is a post job")
        let missing = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--approve", "999999", "--database-url", database.conninfo)
        expectOneLine(missing, exitCode: 65, containing: "has no such job")
        let count = try await database.withConnection { try $0.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job") }
        #expect(count == 2)
    }

    @Test func missingSchemaSaysToMigrate() async throws {
        let database = try await TestServer.database(migrated: false)
        let outcome = try await Reimburse.run("status", "--database-url", database.conninfo)
        expectOneLine(outcome, exitCode: 78, containing: "run 'reimburse migrate'")
    }
}
