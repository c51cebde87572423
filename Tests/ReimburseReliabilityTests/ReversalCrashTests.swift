import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A reversal killed mid-run (SIGKILL of real daemons) resumes after its checkpoint and never
/// reverses a reimbursement twice (issue 15).
@Suite("Reversal under kill -9", .serialized)
struct ReversalCrashTests {
    @Test func killedReversalsResumeAndNeverReverseTwice() async throws {
        let companies = (1...6).map { "X" + String(format: "%02d", $0) }
        let seed = UInt64(ProcessInfo.processInfo.environment["REIMBURSE_RELIABILITY_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64.max)
        figure("reversal kill -9: seed \(seed) (REIMBURSE_RELIABILITY_SEED to repeat)")
        let database = try await TestServer.database()
        let before = try await database.withConnection { connection in
            var balances: [String] = []
            for company in companies {
                try Ledgers.company(company, customers: 150, on: connection)
                balances += try ReversalFixture.openBalances(company, on: connection)
            }
            return balances
        }
        // Post undisturbed, then reverse every job under SIGKILLs.
        let postJobs = try await database.withConnection { connection in
            try companies.flatMap { try Ledgers.jobs($0, on: connection) }
        }
        let posting = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 50, exitWhenIdle: true)
        try posting.start()
        try await posting.waitAll()
        let posted = try await database.withConnection { connection in
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, operation, reverses_job_id, reversal_reason, max_attempts)
                SELECT company_id, 'reverse', id, 'kill -9 test', 100 FROM reimbursement_job WHERE id = ANY($1)
                """, postJobs)
            return try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement") ?? 0
        }
        #expect(posted > 300)

        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 3)
        try daemons.start(count: 2)
        var random = SplitMix(state: seed)
        let kills = try await daemons.killWhileRunning(operation: "reverse", kills: 8, random: &random, database: database)
        #expect(kills >= 1, "no reversal was running to be killed")
        try await waitUntil("every reversal to end", timeout: .seconds(240), interval: .milliseconds(200)) {
            try await database.withConnection { try Ledgers.unfinishedJobs(on: $0) } == 0
        }
        try await daemons.stopAll()
        let totalKills = kills
        try await database.withConnection { connection in
            #expect(try connection.strings("""
                SELECT operation || ' ' || state || ' ' || count(*) FROM reimbursement_job GROUP BY operation, state ORDER BY 1
                """) == ["reimburse succeeded \(postJobs.count)", "reverse succeeded \(postJobs.count)"])
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement_reversal") == posted)
            #expect(try connection.queryValue(Int.self, """
                SELECT count(*) FROM reimbursement_job
                 WHERE operation = 'reverse' AND (result -> 'reversal' ->> 'skipped')::jsonb
                       <> '{"already_reversed": 0, "changed_since_preview": 0, "in_payment": 0, "invalid_data": 0, "vendor_invoice_paid": 0}'
                """) == 0)
            let lost = try connection.queryValue(Int.self, """
                SELECT count(*) FROM reimbursement_job_attempt a JOIN reimbursement_job j
                  ON j.company_id = a.company_id AND j.id = a.job_id
                 WHERE j.operation = 'reverse' AND a.outcome = 'lost'
                """) ?? 0
            #expect(lost >= 1, "the kills should have interrupted running reversals")
            var after: [String] = []
            for company in companies { after += try ReversalFixture.openBalances(company, on: connection) }
            #expect(after == before, "the credits are not open again exactly as before")
            try Ledgers.expectVerified(on: connection)
            figure("reversal kill -9: \(totalKills) SIGKILLs, \(posted) reimbursements reversed once each, \(lost) lost attempts resumed")
        }
    }
}
