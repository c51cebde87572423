import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// The daemon is woken by NOTIFY reimbursement_job: one notification per transaction that
/// inserts jobs, however many jobs and companies it touches.
@Suite("NOTIFY on job changes")
struct NotificationTests {
    static let companies = ["N1", "N2", "N3", "N4", "N5"]

    /// Sets up companies and makes the test's shared connection listen.
    static func listeningDatabase() async throws -> TestDatabase {
        let database = try await TestServer.database()
        try await database.withNewConnection { connection in
            for company in companies { try Fixture.company(company, on: connection) }
        }
        try await database.withConnection { connection in
            try connection.listen("reimbursement_job")
        }
        return database
    }

    /// Everything the listener has received, waiting a short while after the last one.
    static func drain(_ database: TestDatabase) async throws -> [PostgresNotification] {
        try await database.withConnection { connection in
            var received: [PostgresNotification] = []
            while let notification = try connection.waitForNotification(timeout: .milliseconds(400)) {
                received.append(notification)
            }
            return received
        }
    }

    @Test func oneTransactionOfOneThousandJobsNotifiesOnce() async throws {
        let database = try await Self.listeningDatabase()
        let (sender, inserted) = try await database.withNewConnection { connection in
            let inserted = try connection.transaction { connection -> Int in
                var inserted = 0
                for index in 0..<1_000 {
                    let result = try connection.execute(
                        "INSERT INTO reimbursement_job (company_id, priority) VALUES ($1, $2)",
                        Self.companies[index % Self.companies.count], index % 7)
                    inserted += result.affectedRows
                }
                return inserted
            }
            return (connection.backendPID, inserted)
        }
        let received = try await Self.drain(database)
        #expect(inserted == 1_000)
        #expect(received.count == 1, "\(received)")
        #expect(received.first?.channel == "reimbursement_job")
        #expect(received.first?.payload == "inserted")
        #expect(received.first?.senderPID == sender)
        let perCompany = try await database.withConnection { connection in
            try connection.strings("SELECT count(*)::text FROM reimbursement_job GROUP BY company_id ORDER BY company_id")
        }
        #expect(perCompany == ["200", "200", "200", "200", "200"])
    }

    @Test func oneStatementOfOneThousandJobsNotifiesOnce() async throws {
        let database = try await Self.listeningDatabase()
        let inserted = try await database.withNewConnection { connection in
            try connection.execute(
                """
                INSERT INTO reimbursement_job (company_id)
                SELECT ($1::text[])[1 + g % cardinality($1::text[])] FROM generate_series(1, 1000) AS g
                """,
                Self.companies
            ).affectedRows
        }
        let received = try await Self.drain(database)
        #expect(inserted == 1_000)
        #expect(received.map(\.payload) == ["inserted"])
    }

    @Test func separateTransactionsNotifyOnceEach() async throws {
        let database = try await Self.listeningDatabase()
        try await database.withNewConnection { connection in
            for company in Self.companies.prefix(3) {
                try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ($1)", company)
            }
            try connection.transaction { connection in
                try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('N4')")
                try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('N5')")
            }
        }
        let received = try await Self.drain(database)
        #expect(received.count == 4, "three single inserts and one transaction of two: \(received)")
        #expect(received.allSatisfy { $0.channel == "reimbursement_job" && $0.payload == "inserted" })
    }

    @Test func nothingIsDeliveredBeforeCommitOrAfterRollback() async throws {
        let database = try await Self.listeningDatabase()
        let writer = PostgresConnectionThread(
            conninfo: database.server.conninfo, overrides: ["dbname": database.name], name: "notify-writer")
        try await writer.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('N1')")
        }
        let beforeCommit = try await Self.drain(database)
        try await writer.withConnection { connection in _ = try connection.execute("COMMIT") }
        let afterCommit = try await Self.drain(database)
        try await writer.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('N2')")
            try connection.execute("ROLLBACK")
        }
        let afterRollback = try await Self.drain(database)
        await writer.close()
        #expect(beforeCommit.isEmpty)
        #expect(afterCommit.map(\.payload) == ["inserted"])
        #expect(afterRollback.isEmpty)
    }

    @Test func cancelRequestsNotifyWithTheirOwnPayload() async throws {
        let database = try await Self.listeningDatabase()
        try await database.withNewConnection { connection in
            _ = try connection.execute("INSERT INTO reimbursement_job (company_id) SELECT unnest($1::text[])", Self.companies)
        }
        _ = try await Self.drain(database)
        try await database.withNewConnection { connection in
            try connection.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE company_id <> 'N1'")
            // Other columns do not wake the daemon.
            try connection.execute("UPDATE reimbursement_job SET priority = 9 WHERE company_id = 'N1'")
        }
        let received = try await Self.drain(database)
        #expect(received.map(\.payload) == ["cancel_requested"])
    }
}
