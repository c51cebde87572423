import Foundation
import Postgres
@testable import ReimburseStore
import ReimburseTestSupport
import Testing

/// `0010_refuse_unusable_values.sql` on a database that already holds such values: the
/// migration stops with one error naming every broken constraint, leaves nothing of itself
/// behind (one transaction), and applies once the rows are corrected; then it is a no-op.
@Suite("Migration 0010 over existing unusable values")
struct UnusableValueMigrationTests {
    static let file = "0010_refuse_unusable_values.sql"

    @Test func existingBadRowsStopTheMigrationWholeAndNameEachConstraint() async throws {
        let all = try SchemaMigrator(directory: TestServer.sqlDirectory)
        let before = SchemaMigrator(migrations: all.migrations.filter { $0.name < Self.file })
        #expect(all.migrations.contains { $0.name == Self.file })
        let database = try await TestServer.database(migrated: false)
        let (error, recordedAfterFailure, constraintsAfterFailure, badRowsKept) = try await database.withConnection { connection in
            try before.migrate(connection)
            try Fixture.company("A", on: connection)
            try connection.execute("UPDATE company SET minimum_reimbursement = 'NaN' WHERE id = 'A'")
            try connection.execute(
                """
                INSERT INTO reimbursement_job (company_id, run_at, posting_date, customer_accounts, state, attempts)
                VALUES ('A', 'infinity', NULL, NULL, 'queued', 0),
                       ('A', now(), 'infinity', ARRAY['C1', NULL], 'failed', 1)
                """)
            var caught: SchemaMigrationError?
            do { try all.migrate(connection) } catch let error as SchemaMigrationError { caught = error }
            let recorded = try connection.strings("SELECT name FROM reimburse_schema_migration WHERE name >= $1", Self.file)
            let constraints = try connection.strings(
                "SELECT conname::text FROM pg_constraint WHERE conname IN ('company_minimum_reimbursement_finite', 'reimbursement_job_run_at_range')")
            let kept = try connection.count(
                "SELECT count(*) FROM reimbursement_job WHERE run_at = 'infinity' OR posting_date = 'infinity'")
            return (caught, recorded, constraints, kept)
        }
        let refusal = try #require(error, "the migration was applied over rows its constraints refuse")
        for phrase in [Self.file, "company_minimum_reimbursement_finite (1 row(s) of company)",
                       "reimbursement_job_run_at_range (1 row(s)", "reimbursement_job_posting_date_range (1 row(s)",
                       "reimbursement_job_customer_accounts_no_null_elements (1 row(s)", "run reimburse migrate again"] {
            #expect(refusal.description.contains(phrase), "missing '\(phrase)' in: \(refusal)")
        }
        #expect(recordedAfterFailure.isEmpty, "recorded although it failed: \(recordedAfterFailure)")
        #expect(constraintsAfterFailure.isEmpty, "half applied: \(constraintsAfterFailure)")
        #expect(badRowsKept == 2, "the migration changed user data")

        let (applied, again, unvalidated) = try await database.withConnection { connection in
            try connection.execute("UPDATE company SET minimum_reimbursement = 0 WHERE id = 'A'")
            try connection.execute(
                """
                UPDATE reimbursement_job SET run_at = now(), posting_date = NULL, customer_accounts = ARRAY['C1']
                 WHERE company_id = 'A'
                """)
            let applied = try all.migrate(connection)
            let again = try all.migrate(connection)
            let unvalidated = try connection.strings(
                "SELECT conname::text FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND NOT convalidated")
            return (applied, again, unvalidated)
        }
        #expect(applied.applied.contains(Self.file), "\(applied)")
        #expect(again.applied.isEmpty, "a second migrate applied \(again.applied)")
        #expect(unvalidated.isEmpty, "constraints left NOT VALID: \(unvalidated)")
    }
}
