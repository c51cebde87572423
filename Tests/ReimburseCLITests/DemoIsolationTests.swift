import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 12, item 1: `reimburse demo` never touches a real database. It ignores
/// `DATABASE_URL` and libpq's PG* settings, runs on its own private server, and writes into a
/// database named by `--database-url` only when that offers an empty schema.
@Suite("reimburse demo never touches a real database")
struct DemoIsolationTests {
    @Test func ignoresDatabaseURLAndPGSettingsAndRunsOnItsPrivateServer() async throws {
        let real = try await TestServer.database()
        let job = try await real.withConnection { try DatabaseSnapshot.insertQueuedJob(on: $0) }
        let before = try await real.withConnection { try DatabaseSnapshot.take(on: $0) }
        var environment = ["DATABASE_URL": real.conninfo, "PGDATABASE": real.name]
        if let cluster = real.server.cluster {
            environment["PGHOST"] = cluster.socketDirectory
            environment["PGUSER"] = cluster.superuser
        }
        let outcome = try await Reimburse.run(
            "demo", "--customers", "60", environment: environment, timeout: .seconds(120))
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("started a private PostgreSQL"), "\(outcome)")
        #expect(outcome.standardOutput.contains("Stopped and removed the demo's PostgreSQL"), "\(outcome)")
        let after = try await real.withConnection { try DatabaseSnapshot.take(on: $0) }
        #expect(after == before)
        let state = try await real.withConnection {
            try $0.queryValue(String.self, "SELECT state || ' ' || attempts FROM reimbursement_job WHERE id = $1", job)
        }
        #expect(state == "queued 0")
    }

    /// Settings that would send libpq elsewhere or change the server's behaviour: none of
    /// them reaches the private server.
    @Test func privateServerIsNotSteeredByLibpqEnvironment() async throws {
        let outcome = try await Reimburse.run(
            "demo", "--customers", "60",
            environment: [
                "PGHOSTADDR": "192.0.2.1", "PGCONNECT_TIMEOUT": "2", "PGSERVICE": "reimburse-no-such-service",
                "PGOPTIONS": "-c default_transaction_read_only=on",
            ],
            timeout: .seconds(120))
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("started a private PostgreSQL"), "\(outcome)")
        #expect(!outcome.standardOutput.contains(" failed"), "\(outcome)")
    }

    @Test func namedDatabaseWithAReimburseSchemaIsRefusedWithOneLine() async throws {
        let real = try await TestServer.database()
        try await real.withConnection { try DatabaseSnapshot.insertQueuedJob(on: $0) }
        try await real.withConnection { _ = try $0.execute("CREATE SCHEMA demo") }
        let before = try await real.withConnection { try DatabaseSnapshot.take(on: $0) }
        // The schema itself and an empty schema beside it: both refused, the installation
        // shares the database's advisory locks and notification channel.
        for url in [real.conninfo, real.conninfoWithSearchPath("demo")] {
            let outcome = try await Reimburse.run("demo", "--customers", "60", "--database-url", url)
            #expect(outcome.exitCode == 65, "\(outcome)")
            #expect(outcome.errorLines.count == 1, "\(outcome)")
            #expect(outcome.standardError.contains(
                "already holds a Reimburse schema (reimburse_schema_migration in schema \"public\")"), "\(outcome)")
            #expect(!outcome.standardOutput.contains("Schema (reimburse migrate)"), "\(outcome)")
        }
        let after = try await real.withConnection { try DatabaseSnapshot.take(on: $0) }
        #expect(after == before)
    }

    @Test func namedSchemaWithAnyObjectIsRefusedWithOneLine() async throws {
        let other = try await TestServer.database(migrated: false)
        try await other.withConnection { connection in
            _ = try connection.execute("CREATE TABLE erp_note (body text)")
            _ = try connection.execute("INSERT INTO erp_note VALUES ('keep me')")
        }
        let outcome = try await Reimburse.run("demo", "--customers", "60", "--database-url", other.conninfo)
        #expect(outcome.exitCode == 65, "\(outcome)")
        #expect(outcome.errorLines.count == 1, "\(outcome)")
        #expect(outcome.standardError.contains("schema \"public\" is not empty: 1 object(s) (table erp_note)"),
                "\(outcome)")
        let untouched = try await other.withConnection { connection in
            try connection.queryValue(
                String.self,
                """
                SELECT (SELECT string_agg(body, ',') FROM erp_note) || ' '
                       || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)
                """)
        }
        #expect(untouched == "keep me 1")
    }

    @Test func emptyDatabaseURLIsAUsageError() async throws {
        let outcome = try await Reimburse.run("demo", "--database-url", "")
        #expect(outcome.exitCode == 64, "\(outcome)")
        #expect(outcome.standardError.contains("--database-url is empty"), "\(outcome)")
    }
}
