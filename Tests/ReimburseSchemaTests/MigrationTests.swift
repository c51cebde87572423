import Foundation
import Postgres
@testable import ReimburseStore
import ReimburseTestSupport
import Testing

@Suite("Schema migrations")
struct MigrationTests {
    static func migrator() throws -> SchemaMigrator {
        try SchemaMigrator(directory: TestServer.sqlDirectory)
    }

    static func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: TestServer.sqlDirectory)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
    }

    /// Bookkeeping rows: name -> how many rows carry it.
    static func recorded(_ connection: PostgresConnection) throws -> [String: Int] {
        let rows = try connection.query(
            "SELECT name, count(*) FROM reimburse_schema_migration GROUP BY name ORDER BY name"
        ) { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    @Test func loadsEveryNumberedFileInOrder() throws {
        let names = try Self.migrator().migrations.map(\.name)
        #expect(names == (try Self.fileNames()))
        #expect(names.first == "0001_companies_and_customers.sql")
        #expect(names.count >= 5)
    }

    @Test func migratingTwiceIsANoOp() async throws {
        let migrator = try Self.migrator()
        let names = migrator.migrations.map(\.name)
        let database = try await TestServer.database(migrated: false)
        let (first, second, recorded, before, after) = try await database.withConnection { connection in
            let first = try migrator.migrate(connection)
            let query = "SELECT name || ' ' || checksum || ' ' || applied_at::text FROM reimburse_schema_migration ORDER BY name"
            let before = try connection.strings(query)
            let second = try migrator.migrate(connection)
            let after = try connection.strings(query)
            return (first, second, try Self.recorded(connection), before, after)
        }
        #expect(first.applied == names)
        #expect(first.alreadyApplied.isEmpty)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == names)
        #expect(recorded == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
        // The second run rewrote no bookkeeping row (same checksums, same times).
        #expect(before == after)
        #expect(before.count == names.count)
    }

    @Test func theTemplateDatabaseIsUpToDate() async throws {
        let migrator = try Self.migrator()
        let database = try await TestServer.database()
        let outcome = try await database.withConnection { try migrator.migrate($0) }
        #expect(outcome.applied.isEmpty)
        #expect(outcome.alreadyApplied == migrator.migrations.map(\.name))
    }

    @Test func aChangedAppliedFileIsRefusedByName() async throws {
        let original = try Self.migrator()
        var edited = original.migrations
        let index = try #require(edited.firstIndex { $0.name == "0003_postings.sql" })
        edited[index].sql += "\n-- an innocent-looking edit\n"
        let changed = SchemaMigrator(migrations: edited)
        let database = try await TestServer.database()
        let (error, checksumsBefore, checksumsAfter) = try await database.withConnection { connection in
            let before = try connection.strings("SELECT name || checksum FROM reimburse_schema_migration ORDER BY name")
            var caught: SchemaMigrationError?
            do { try changed.migrate(connection) } catch let error as SchemaMigrationError { caught = error }
            let after = try connection.strings("SELECT name || checksum FROM reimburse_schema_migration ORDER BY name")
            return (caught, before, after)
        }
        let refusal = try #require(error, "an edited, already applied migration was accepted")
        #expect(refusal.description.contains("0003_postings.sql"), "\(refusal)")
        #expect(refusal.description.contains("changed"), "\(refusal)")
        #expect(checksumsAfter == checksumsBefore)
    }

    @Test func aDatabaseNewerThanTheProgramIsRefused() async throws {
        let all = try Self.migrator().migrations
        let older = SchemaMigrator(migrations: Array(all.dropLast()))
        let database = try await TestServer.database()
        let error = try await database.withConnection { connection -> SchemaMigrationError? in
            do { try older.migrate(connection) } catch let error as SchemaMigrationError { return error }
            return nil
        }
        let refusal = try #require(error)
        #expect(refusal.description.contains(all.last!.name), "\(refusal)")
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        var migrations = try Self.migrator().migrations
        migrations.append(.init(name: "9999_broken.sql", sql: """
            CREATE TABLE half_done (id int);
            INSERT INTO half_done VALUES (1);
            SELECT 1 / 0;
            """))
        let broken = SchemaMigrator(migrations: migrations)
        let database = try await TestServer.database()
        let (error, table, recorded) = try await database.withConnection { connection in
            var caught: SchemaMigrationError?
            do { try broken.migrate(connection) } catch let error as SchemaMigrationError { caught = error }
            return (caught, try connection.queryValue(String?.self, "SELECT to_regclass('half_done')::text") ?? nil,
                    try Self.recorded(connection))
        }
        let failure = try #require(error)
        #expect(failure.description.contains("9999_broken.sql"), "\(failure)")
        #expect(failure.description.contains("division by zero"), "\(failure)")
        #expect(table == nil)
        #expect(recorded["9999_broken.sql"] == nil)
        #expect(recorded.count == migrations.count - 1)
    }

    /// Two migrators start on a fresh database while a third session holds the migration lock,
    /// so both are provably waiting at the same time; then the lock is released. Both succeed,
    /// every file is applied exactly once.
    @Test func twoConcurrentMigratorsApplyEachFileOnce() async throws {
        let migrator = try Self.migrator()
        let names = migrator.migrations.map(\.name)
        let database = try await TestServer.database(migrated: false)
        let key = SchemaMigrator.advisoryLockKey
        // The shared connection of the test holds the lock first.
        try await database.withConnection { connection in
            _ = try connection.execute("SELECT pg_advisory_lock($1)", key)
        }
        async let first = database.withNewConnection { try migrator.migrate($0) }
        async let second = database.withNewConnection { try migrator.migrate($0) }
        var waiting = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while waiting < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            waiting = try await database.withConnection { connection in
                try connection.count("""
                    SELECT count(*) FROM pg_locks
                     WHERE locktype = 'advisory' AND NOT granted
                       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """)
            }
        }
        try await database.withConnection { connection in
            _ = try connection.execute("SELECT pg_advisory_unlock($1)", key)
        }
        let outcomes = try await [first, second]
        #expect(waiting == 2, "both migrators should have been waiting for the lock at once")
        #expect(outcomes.flatMap(\.applied).sorted() == names, "each file applied exactly once: \(outcomes)")
        #expect(outcomes.map(\.applied.count).sorted() == [0, names.count])
        #expect(outcomes.map(\.alreadyApplied.count).sorted() == [0, names.count])
        let (recorded, jobTable) = try await database.withConnection { connection in
            (try Self.recorded(connection),
             try connection.queryValue(String.self, "SELECT to_regclass('reimbursement_job')::text"))
        }
        #expect(recorded == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
        #expect(jobTable == "reimbursement_job")
    }

    /// Without any orchestration: two migrators launched together on a fresh database.
    @Test func twoMigratorsRacingFreelyBothSucceed() async throws {
        let migrator = try Self.migrator()
        let names = migrator.migrations.map(\.name)
        let database = try await TestServer.database(migrated: false)
        async let first = database.withNewConnection { try migrator.migrate($0) }
        async let second = database.withNewConnection { try migrator.migrate($0) }
        let outcomes = try await [first, second]
        #expect(outcomes.flatMap(\.applied).sorted() == names)
        let recorded = try await database.withConnection { try Self.recorded($0) }
        #expect(recorded == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
    }
}
