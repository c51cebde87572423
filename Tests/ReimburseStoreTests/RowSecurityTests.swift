import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// The daemon's production login is only a member of `reimburse_service`: row-level security
/// applies to it, so COPY into the posting tables is refused and the store stages its bulk
/// writes in temporary tables. Running jobs as such a login proves both that path and that the
/// role has every privilege the store needs.
@Suite("Row-level security: the service login")
struct RowSecurityTests {
    static func withServiceLogin<T: Sendable>(
        _ database: TestDatabase, _ body: @escaping @Sendable (_ login: String) async throws -> T
    ) async throws -> T {
        let login = "svc_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        try await database.withConnection { connection in
            _ = try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_service")
        }
        do {
            let value = try await body(login)
            // Cleanup only: a role is cluster-wide, but a leftover one harms nothing.
            try? await dropRole(login, database)
            return value
        } catch {
            try? await dropRole(login, database)
            throw error
        }
    }

    static func dropRole(_ login: String, _ database: TestDatabase) async throws {
        try await database.withConnection { connection in
            _ = try connection.execute("DROP ROLE IF EXISTS \(try connection.quoteIdentifier(login))")
        }
    }

    @Test func aServiceLoginPostsTheSameRows() async throws {
        let reference = try await ChunkingTests.uninterruptedSnapshot(chunkSize: 7)
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            return try LedgerFixture.job(MixedLedger.company, on: connection)
        }
        try await Self.withServiceLogin(database) { login in
            try await Store.asLogin(login, database: database) { connection in
                #expect(try connection.queryValue(Bool.self, "SELECT row_security_active('reimbursement')") == true)
                #expect(try connection.queryValue(Bool.self, "SELECT row_security_active('customer_transaction')") == true)
                #expect(try connection.queryValue(
                    Bool.self, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user") == false)
                try Store.run(job, chunkSize: 7, on: connection)
                try connection.execute("DISCARD TEMP")
            }
        }
        let snapshot = try await database.withConnection { connection in
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
            return try MixedLedger.snapshot(job: job, on: connection)
        }
        #expect(snapshot == reference, "\(difference(snapshot, reference))")
    }

    @Test func aServiceLoginPreviewsApprovesAndFails() async throws {
        let database = try await TestServer.database()
        let (preview, companyWithoutSequence) = try await database.withConnection { connection in
            try ModeTests.buildLedger(on: connection)
            try LedgerFixture.company("NOSEQ", on: connection)
            try connection.execute("DELETE FROM number_sequence WHERE company_id = 'NOSEQ' AND name = 'vendor_invoice'")
            return (try LedgerFixture.job("MODE", mode: "preview", on: connection),
                    try LedgerFixture.job("NOSEQ", on: connection))
        }
        try await Self.withServiceLogin(database) { login in
            try await Store.asLogin(login, database: database) { connection in
                try Store.run(preview, chunkSize: 4, on: connection)
                // The service role may enqueue too (the daemon's own tools do).
                let approval = try LedgerFixture.job("MODE", approves: preview, on: connection)
                try Store.run(approval, chunkSize: 4, on: connection)
                #expect(try RuleTests.reimbursements(approval, on: connection) == [
                    "A|OTV-00000001|t|USD|50.000000|50.000000",
                    "B|V-B|f|USD|25.000000|25.000000",
                    "C|OTV-00000002|t|EUR|12.000000|13.200000",
                    "C|OTV-00000002|t|USD|11.000000|11.000000",
                ])
                #expect(throws: JobFailure.self) {
                    _ = try Store.runner(connection).runQueuedJob(id: companyWithoutSequence)
                }
                #expect(try Store.state(of: companyWithoutSequence, on: connection) == "failed")
                try connection.execute("DISCARD TEMP")
            }
        }
        try await database.withConnection { connection in
            #expect(try Store.count("SELECT count(*) FROM reimbursement_proposal WHERE job_id = $1", preview,
                                    on: connection) == 4)
            #expect(try RuleTests.skips(preview, on: connection) == [
                "D|USD|below_minimum|9.990000|9.990000",
                "E|NULL|on_hold|NULL|60.000000",
            ])
            try PostingAudit.expectConsistent(company: "MODE", on: connection)
        }
    }
}
