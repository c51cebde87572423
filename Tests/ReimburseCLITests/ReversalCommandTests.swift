import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// `reimburse enqueue --reverse-job N | --reverse ID,ID --reason "..."` (PRODUCT.md section 8).
@Suite("reimburse enqueue: reversal")
struct ReversalCommandTests {
    /// The command inserts a reverse job that the daemon runs: the credit is open again, the
    /// report says reversed, and verify passes.
    @Test func reversesAJobThroughTheDaemon() async throws {
        let database = try await TestServer.database()
        let post = try await database.withConnection { connection in
            try LedgerFixture.company("USMF", on: connection)
            try LedgerFixture.customer("USMF", "C-1", on: connection)
            try LedgerFixture.transaction("USMF", "C-1", amount: "-12.50", on: connection)
            return try LedgerFixture.job("USMF", on: connection)
        }
        let serve = ["serve", "--exit-when-idle", "--database-url", database.conninfo]
        #expect(try await Reimburse.start(serve).wait(timeout: .seconds(60)).exitCode == 0)
        let enqueue = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--reverse-job", "\(post)", "--reason", "run by mistake",
            "--posting-date", "2026-11-30", "--database-url", database.conninfo)
        #expect(enqueue.exitCode == 0, "\(enqueue)")
        let reverse = try #require(Int64(enqueue.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await Reimburse.start(serve).wait(timeout: .seconds(60)).exitCode == 0)
        let state = try await database.withConnection { connection in
            try connection.queryValue(String.self, """
                SELECT j.operation || '|' || j.state || '|' || j.reversal_reason || '|'
                       || (SELECT string_agg(status, ',') FROM reimbursement_report WHERE job_id = $2) || '|'
                       || (SELECT settled_amount FROM customer_transaction WHERE customer_account = 'C-1' AND kind = 'payment')
                  FROM reimbursement_job j WHERE j.id = $1
                """, reverse, post)
        }
        #expect(state == "reverse|succeeded|run by mistake|reversed|0.000000")
        let verify = try await Reimburse.run("verify", "--database-url", database.conninfo)
        #expect(verify.exitCode == 0, "\(verify)")
    }

    @Test func mistakesGetOneClearLine() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try LedgerFixture.company("USMF", on: $0) }
        let url = ["--database-url", database.conninfo]
        let noReason = try await Reimburse.start(["enqueue", "--company", "USMF", "--reverse", "1"] + url).wait(timeout: .seconds(60))
        #expect(noReason.exitCode != 0)
        #expect(noReason.standardError.contains("a reversal needs --reason"), "\(noReason)")
        let badIDs = try await Reimburse.start(["enqueue", "--company", "USMF", "--reverse", "1,x", "--reason", "r"] + url).wait(timeout: .seconds(60))
        #expect(badIDs.standardError.contains("--reverse takes reimbursement ids"), "\(badIDs)")
        let unknown = try await Reimburse.start(["enqueue", "--company", "USMF", "--reverse", "41", "--reason", "r"] + url).wait(timeout: .seconds(60))
        #expect(unknown.exitCode != 0)
        #expect(unknown.standardError.contains("company USMF has no reimbursement 41"), "\(unknown)")
        let both = try await Reimburse.start(
            ["enqueue", "--company", "USMF", "--reverse", "41", "--reverse-job", "3", "--reason", "r"] + url
        ).wait(timeout: .seconds(60))
        #expect(both.standardError.contains("give only one of them"), "\(both)")
    }

    @Test func helpShowsAReversalExample() async throws {
        let help = try await Reimburse.run("enqueue", "--help")
        #expect(help.standardOutput.contains("--reverse-job 42 --reason"), "\(help)")
        #expect(help.standardOutput.contains("--reverse <id,id,...>"), "\(help)")
    }
}
