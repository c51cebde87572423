import Foundation
import LocalPostgres
import Postgres
@testable import ReimburseDaemon
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// The daemon's own check, for a daemon whose database was down when `serve` started: at
    /// its first connection through a transaction pooler (a real PgBouncer), it stops without
    /// claiming anything and `run()` throws the one-line reason. Behind session pooling it runs.
    @Suite("Poolers")
    struct Poolers {
        @Test func theDaemonStopsAtATransactionPoolerAndRunsBehindSessionPooling() async throws {
            let database = try await TestServer.database()
            let cluster = try #require(database.server.cluster, "the pooler test needs the private test cluster")
            let job = try await database.withConnection { connection -> Int64 in
                try BulkLedger.company("PGB", customers: 20, on: connection)
                return try insertJob("PGB", on: connection)
            }
            let transaction = try LocalPgBouncer.start(in: cluster, poolMode: "transaction")
            defer { transaction.stop() }
            let refused = Daemon.start(transaction.conninfo(database: database.name), instance: "tx", exitWhenIdle: true)
            var thrown: (any Error)?
            do { _ = try await refused.task.value } catch { thrown = error }
            #expect(thrown is DaemonConnectionError, "\(String(describing: thrown))")
            #expect("\(thrown.map { "\($0)" } ?? "")".contains("transaction pooler"))
            let row = try await database.job(job)
            #expect(row.state == "queued" && row.attempts == 0, "\(row)")

            let session = try LocalPgBouncer.start(in: cluster, poolMode: "session")
            defer { session.stop() }
            let served = Daemon.start(session.conninfo(database: database.name), instance: "session", exitWhenIdle: true)
            #expect(try await served.waitForReturn(within: .seconds(30)))
            let done = try await database.job(job)
            #expect(done.state == "succeeded" && done.attempts == 1, "\(done)")
        }
    }
}
