import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

/// A real PgBouncer (Debian's) in front of the test cluster, in session and in transaction
/// mode, each on a private unix socket, stopped at the end of each test.
@Suite("Connection poolers", .serialized)
struct PoolerTests {
    static func withBouncers<T: Sendable>(
        _ body: (_ session: LocalPgBouncer, _ transaction: LocalPgBouncer) async throws -> T
    ) async throws -> T {
        let server = try await TestServer.shared()
        let cluster = try #require(server.cluster, "the pooler tests put PgBouncer in front of the private test cluster")
        let session = try LocalPgBouncer.start(in: cluster, poolMode: "session")
        defer { session.stop() }
        let transaction = try LocalPgBouncer.start(in: cluster, poolMode: "transaction")
        defer { transaction.stop() }
        return try await body(session, transaction)
    }

    static func ledger(_ company: String, on connection: PostgresConnection) throws -> Int64 {
        try LedgerFixture.company(company, on: connection)
        for k in 1...4 {
            try LedgerFixture.customer(company, "C\(k)", on: connection)
            try LedgerFixture.transaction(company, "C\(k)", amount: "-\(k).25", on: connection)
        }
        return try LedgerFixture.job(company, on: connection)
    }

    /// `serve` behind a transaction pooler refuses to start, in one line, and claims nothing;
    /// behind session pooling it runs the job.
    @Test func serveRefusesATransactionPoolerAndWorksBehindSessionPooling() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { try Self.ledger("POOL", on: $0) }
        try await Self.withBouncers { session, transaction in
            let refused = try await Reimburse.run(
                "serve", "--exit-when-idle", "--database-url", transaction.conninfo(database: database.name),
                timeout: .seconds(60))
            #expect(refused.exitCode != 0 && refused.exitCode != nil, "\(refused)")
            #expect(refused.errorLines.count == 1, "\(refused)")
            #expect(refused.standardError.contains("transaction pooler")
                    && refused.standardError.contains("session"), "\(refused)")
            let untouched = try await database.withConnection { connection in
                try connection.queryValue(String.self, "SELECT state || '/' || attempts FROM reimbursement_job WHERE id = $1", job)
            }
            #expect(untouched == "queued/0")

            let served = try await Reimburse.run(
                "serve", "--exit-when-idle", "--database-url", session.conninfo(database: database.name),
                timeout: .seconds(60))
            #expect(served.exitCode == 0, "\(served)")
            let done = try await database.withConnection { connection in
                try connection.queryValue(String.self, "SELECT state || '/' || attempts FROM reimbursement_job WHERE id = $1", job)
            }
            #expect(done == "succeeded/1", "\(served)")
        }
    }

    /// enqueue, status, report and verify through both pool modes.
    @Test func commandsWorkThroughBothPoolModes() async throws {
        let database = try await TestServer.database()
        _ = try await database.withConnection { try Self.ledger("POOLC", on: $0) }
        let posted = try await Reimburse.run("serve", "--exit-when-idle", "--database-url", database.conninfo)
        #expect(posted.exitCode == 0, "\(posted)")
        try await Self.withBouncers { session, transaction in
            for bouncer in [session, transaction] {
                let url = bouncer.conninfo(database: database.name)
                let mode = bouncer.poolMode
                let enqueued = try await Reimburse.run(
                    "enqueue", "--company", "POOLC", "--posting-date", "2026-11-26", "--database-url", url)
                #expect(enqueued.exitCode == 0, "\(mode): \(enqueued)")
                let status = try await Reimburse.run("status", "--database-url", url)
                #expect(status.exitCode == 0 && status.standardOutput.contains("POOLC"), "\(mode): \(status)")
                let report = try await Reimburse.run("report", "--format", "csv", "--database-url", url)
                #expect(report.exitCode == 0 && report.standardOutput.components(separatedBy: "\r\n").count == 6,
                        "\(mode): \(report)")
                let verify = try await Reimburse.run("verify", "--database-url", url)
                #expect(verify.exitCode == 0, "\(mode): \(verify)")
            }
        }
        let queued = try await database.withConnection { connection in
            try connection.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement_job WHERE state = 'queued'")
        }
        #expect(queued == 2)
    }
}
