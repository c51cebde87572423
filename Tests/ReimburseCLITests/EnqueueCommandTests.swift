import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse enqueue")
struct EnqueueCommandTests {
    @Test func printsTheIdOfAJobWithEveryOption() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let outcome = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--customers", "C-1, C-2", "--groups", "RETAIL", "--preview",
            "--debit-handling", "include", "--no-summarize", "--posting-date", "2024-03-31", "--priority", "7",
            "--run-at", "2030-01-02T03:04:05Z", "--dedupe-key", "month-end", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let id = try #require(Int64(outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        let row = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT mode, customer_accounts::text, customer_groups::text, debit_handling, summarize::text,
                       posting_date::text, priority::text, run_at = '2030-01-02T03:04:05Z'::timestamptz,
                       dedupe_key, state
                  FROM reimbursement_job WHERE company_id = 'USMF' AND id = $1
                """, id
            ) { row in
                [try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2),
                 try row.decode(String.self, at: 3), try row.decode(String.self, at: 4), try row.decode(String.self, at: 5),
                 try row.decode(String.self, at: 6), String(try row.decode(Bool.self, at: 7)),
                 try row.decode(String.self, at: 8), try row.decode(String.self, at: 9)]
            }.first
        }
        #expect(row == ["preview", "{C-1,C-2}", "{RETAIL}", "include", "false", "2024-03-31", "7", "true",
                        "month-end", "queued"])
    }

    @Test func defaultsAreTheDatabaseDefaults() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("DEMF", currency: "EUR", on: $0) }
        let outcome = try await Reimburse.run("enqueue", "--company", "DEMF", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let id = try #require(Int64(outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        let described = try await database.withConnection { connection in
            try connection.queryValue(
                String.self,
                """
                SELECT concat_ws('|', mode, customer_accounts IS NULL, customer_groups IS NULL, debit_handling,
                                 summarize, posting_date IS NULL, priority, dedupe_key IS NULL, approves_job_id IS NULL)
                  FROM reimbursement_job WHERE id = $1
                """, id)
        }
        #expect(described == "post|t|t|skip|t|t|0|t|t")
    }

    @Test func aSecondEnqueueWithTheSameDedupeKeyReturnsTheFirstJob() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let first = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--dedupe-key", "k", "--database-url", database.conninfo)
        let second = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--dedupe-key", "k", "--database-url", database.conninfo)
        #expect(first.exitCode == 0 && second.exitCode == 0, "\(first)\n\(second)")
        #expect(first.standardOutput == second.standardOutput)
        #expect(second.standardError.contains("already queued"), "\(second)")
        let count = try await database.withConnection { try $0.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job") }
        #expect(count == 1)
    }

    @Test func approvesASucceededPreview() async throws {
        let database = try await TestServer.database()
        let preview = try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            return try connection.queryValue(
                Int64.self,
                """
                INSERT INTO reimbursement_job (company_id, mode, state, finished_at)
                VALUES ('USMF', 'preview', 'succeeded', now()) RETURNING id
                """)!
        }
        let outcome = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--approve", String(preview), "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let id = try #require(Int64(outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        let approves = try await database.withConnection {
            try $0.queryValue(Int64.self, "SELECT approves_job_id FROM reimbursement_job WHERE id = $1", id)
        }
        #expect(approves == preview)
    }
}

/// An enqueue login sees only the companies granted to it (row-level security), and the
/// command line says so in the same words as for a company that does not exist.
@Suite("reimburse enqueue as an enqueue login")
struct EnqueueRowLevelSecurityTests {
    @Test func aCompanyNotGrantedIsUnknown() async throws {
        let database = try await TestServer.database()
        let login = "cli_enqueue_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            try Fixtures.company("DEMF", currency: "EUR", on: connection)
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_enqueue")
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'USMF')", login)
        }
        let asLogin = "\(database.conninfo) user=\(login)"
        let granted = try await Reimburse.run("enqueue", "--company", "USMF", "--database-url", asLogin)
        #expect(granted.exitCode == 0, "\(granted)")
        let notGranted = try await Reimburse.run("enqueue", "--company", "DEMF", "--database-url", asLogin)
        #expect(notGranted.exitCode == 65, "\(notGranted)")
        #expect(notGranted.standardError == "reimburse: error: unknown company 'DEMF': it does not exist or is not granted to you\n")
        let status = try await Reimburse.run("status", "--database-url", asLogin)
        #expect(status.standardOutput.contains("USMF") && !status.standardOutput.contains("DEMF"), "\(status)")
        let requestedBy = try await database.withConnection {
            try $0.queryValue(String.self, "SELECT requested_by FROM reimbursement_job WHERE company_id = 'USMF'")
        }
        #expect(requestedBy == login)
    }
}
