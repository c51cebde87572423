import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse migrate")
struct MigrateCommandTests {
    @Test func migratesOnceThenFindsNothingToDo() async throws {
        let database = try await TestServer.database(migrated: false)
        let first = try await Reimburse.run("migrate", "--database-url", database.conninfo)
        #expect(first.exitCode == 0, "\(first)")
        #expect(first.standardOutput.contains("applied 0001_companies_and_customers.sql"), "\(first)")
        #expect(first.standardError.isEmpty, "\(first)")

        let second = try await Reimburse.run("migrate", "--database-url", database.conninfo)
        #expect(second.exitCode == 0, "\(second)")
        #expect(second.standardOutput.contains("nothing applied"), "\(second)")
        #expect(!second.standardOutput.contains("applied 0001"), "\(second)")

        let tables = try await database.withConnection { connection in
            try connection.queryValue(Int.self, "SELECT count(*) FROM reimburse_schema_migration")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: TestServer.sqlDirectory)
            .filter { $0.hasSuffix(".sql") }
        #expect(tables == files.count)
    }

    @Test func takesTheDatabaseFromTheEnvironment() async throws {
        let database = try await TestServer.database(migrated: false)
        let outcome = try await Reimburse.run("migrate", environment: ["DATABASE_URL": database.conninfo])
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("applied"), "\(outcome)")
    }
}
