import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Chunks are an implementation detail: the same ledger gives the same postings, skips,
/// numbers and result whatever the chunk size, and whether or not the job was stopped and
/// resumed between chunks.
@Suite("Chunks, reruns and resume")
struct ChunkingTests {
    /// Builds the mixed ledger in a fresh database, runs one post job with `chunkSize`, and
    /// returns the snapshot of what it wrote.
    static func uninterruptedSnapshot(chunkSize: Int) async throws -> [String] {
        let database = try await TestServer.database()
        return try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            try Store.run(job, chunkSize: chunkSize, on: connection)
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
            return try MixedLedger.snapshot(job: job, on: connection)
        }
    }

    @Test func chunkSizeDoesNotChangeTheOutcome() async throws {
        let database = try await TestServer.database()
        let reference = try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            let tally = try Store.run(job, chunkSize: 1000, on: connection)
            #expect(tally?.reimbursements == 30)
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)

            // The numbers the run used, gap-free from where the sequences stood.
            let sequences = try Store.rows(
                "SELECT name, next_value FROM number_sequence WHERE company_id = 'MIX' ORDER BY name", on: connection)
            #expect(sequences == ["one_time_vendor|16", "payment_voucher|1", "reimbursement_voucher|120", "vendor_invoice|31"])
            #expect(try Store.rows(
                "SELECT min(voucher), max(voucher), count(DISTINCT voucher) FROM reimbursement", on: connection)
                == ["MRV00090|MRV00119|30"])
            #expect(try Store.rows(
                "SELECT min(invoice_number), max(invoice_number), count(DISTINCT invoice_number) FROM vendor_invoice",
                on: connection) == ["VI-00000001|VI-00000030|30"])

            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 60)
            #expect(result.reimbursed == 25)
            #expect(result.noCreditBalance == 10)
            #expect(result.reimbursements == 30)
            for reason in ["on_hold", "pending_settlement", "open_debits", "below_minimum", "vendor_not_found"] {
                #expect(result.skipped(reason) == 5, "\(reason)")
            }
            #expect(result.skipped("changed_since_preview") == 0)
            #expect(result.total("USD") == Money("617283945638.11728"))
            #expect(result.total("USD", "amount_accounting") == Money("617283945638.11728"))
            #expect(result.total("EUR") == Money("150"))
            #expect(result.total("EUR", "amount_accounting") == Money("165.75"))
            #expect(Set(result.totals.keys) == ["USD", "EUR"])
            return try MixedLedger.snapshot(job: job, on: connection)
        }
        for chunkSize in [1, 7] {
            let snapshot = try await Self.uninterruptedSnapshot(chunkSize: chunkSize)
            #expect(snapshot == reference, "chunk size \(chunkSize): \(difference(snapshot, reference))")
        }
    }

    @Test func aSecondRunOverTheSameDataPostsNothing() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let first = try LedgerFixture.job(MixedLedger.company, on: connection)
            try Store.run(first, chunkSize: 7, on: connection)
            let sequencesBefore = try Store.rows("SELECT name, next_value FROM number_sequence ORDER BY 1", on: connection)
            let vendorsBefore = try Store.count("SELECT count(*) FROM vendor", on: connection)

            let second = try LedgerFixture.job(MixedLedger.company, on: connection)
            let tally = try Store.run(second, chunkSize: 7, on: connection)
            #expect(tally?.reimbursements == 0)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", second, on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM customer_settlement WHERE job_id = $1", second, on: connection) == 0)
            #expect(try Store.rows("SELECT name, next_value FROM number_sequence ORDER BY 1", on: connection) == sequencesBefore)
            #expect(try Store.count("SELECT count(*) FROM vendor", on: connection) == vendorsBefore)
            let result = try #require(try Store.result(of: second, on: connection))
            #expect(result.reimbursed == 0)
            #expect(result.reimbursements == 0)
            #expect(result.totals.isEmpty)
            // The 25 customers reimbursed the first time have no open credit left; the GBP
            // balance below the minimum of the two-currency customers is still explained.
            #expect(result.noCreditBalance == 10 + 20)
            #expect(result.skipped("below_minimum") == 5 + 5)
            #expect(result.selected == 60)
            // Skips of the first run's skipped customers are recorded again, identically.
            let skipsOf: (Int64) throws -> [String] = { job in
                try Store.rows("""
                    SELECT customer_account, currency, reason, credit_balance, credit_balance_accounting
                      FROM reimbursement_skip WHERE job_id = $1 AND customer_account NOT IN
                           (SELECT customer_account FROM reimbursement WHERE job_id = \(first))
                     ORDER BY 1, 2 NULLS FIRST
                    """, job, on: connection)
            }
            #expect(try skipsOf(second) == skipsOf(first))
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
        }
    }

    /// Stops after `stopAfter` chunks as a graceful shutdown does (`.interrupted`), hands the job
    /// back with `release`, and lets a new claim finish it.
    @Test(arguments: [1, 3, 8])
    func resumeAfterAStopBetweenChunks(stopAfter: Int) async throws {
        let reference = try await Self.uninterruptedSnapshot(chunkSize: 7)
        let database = try await TestServer.database()
        let snapshot = try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            let runner = Store.runner(connection, chunkSize: 7)
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "first-worker", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            var reported: [Int] = []
            let outcome = try runner.run(
                lease,
                shouldStop: {
                    defer { chunks += 1 }
                    return chunks == stopAfter
                },
                progress: { done, total in
                    reported.append(done)
                    #expect(total == 60)
                })
            guard case .interrupted(let partial) = outcome else {
                Issue.record("expected interrupted, got \(outcome)")
                return [String]()
            }
            #expect(reported == (1...stopAfter).map { min(60, $0 * 7) })
            #expect(partial.selected == stopAfter * 7)
            // Mid-job state: running, checkpointed after the last customer of the last chunk,
            // progress and the running tally saved.
            #expect(try Store.rows(
                "SELECT state, checkpoint_customer, customers_done, customers_total FROM reimbursement_job WHERE id = $1",
                job, on: connection)
                == ["running|\(String(format: "M%03d", stopAfter * 7))|\(stopAfter * 7)|60"])
            #expect(try Store.result(of: job, on: connection)?.selected == stopAfter * 7)
            #expect(try Store.result(of: job, on: connection)?.reimbursements == partial.reimbursements)
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)

            try JobStateStore.release(lease, on: connection)
            #expect(try Store.state(of: job, on: connection) == "queued")
            try Store.run(job, chunkSize: 7, on: connection)
            #expect(try Store.rows(
                "SELECT attempt, worker, outcome FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt",
                job, on: connection) == ["1|first-worker|released", "2|library|succeeded"])
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
            return try MixedLedger.snapshot(job: job, on: connection)
        }
        #expect(snapshot == reference, "\(difference(snapshot, reference))")
    }

    /// `cancel_requested` stops the job at the next chunk boundary: it is cancelled, keeps what
    /// it posted, and counts it.
    @Test func cancelStopsAtTheNextChunkAndKeepsWhatWasPosted() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "test", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let outcome = try Store.runner(connection, chunkSize: 12).run(lease, shouldStop: {
                if chunks == 2 {
                    _ = try? connection.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE id = $1", job)
                }
                chunks += 1
                return false
            })
            guard case .cancelled(let tally) = outcome else {
                Issue.record("expected cancelled, got \(outcome)")
                return
            }
            #expect(tally.selected == 24)
            #expect(tally.reimbursements == 12)
            #expect(try Store.rows(
                "SELECT state, customers_done, customers_total, finished_at IS NOT NULL FROM reimbursement_job WHERE id = $1",
                job, on: connection) == ["cancelled|24|60|t"])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 24)
            #expect(result.reimbursements == 12)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", job, on: connection) == 12)
            #expect(try Store.rows("SELECT max(customer_account) FROM reimbursement_skip WHERE job_id = $1", job,
                                   on: connection) == ["M021"])
            #expect(try Store.rows("SELECT outcome FROM reimbursement_job_attempt WHERE job_id = $1", job, on: connection)
                == ["cancelled"])
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
        }
    }

    /// A worker that dies between chunks: its job is rescued by hand (set back to queued, as
    /// the daemon's rescue does once the lease expired) and run again by another worker; the
    /// dead worker's lease can no longer write anything.
    @Test func resumeAfterACrashBetweenChunks() async throws {
        let reference = try await Self.uninterruptedSnapshot(chunkSize: 7)
        let database = try await TestServer.database()
        let snapshot = try await database.withConnection { connection in
            try MixedLedger.build(on: connection)
            let job = try LedgerFixture.job(MixedLedger.company, on: connection)
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "crashed", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let outcome = try Store.runner(connection, chunkSize: 7).run(lease, shouldStop: {
                defer { chunks += 1 }
                return chunks == 4
            })
            guard case .interrupted = outcome else {
                Issue.record("expected interrupted, got \(outcome)")
                return [String]()
            }
            // The crash: nobody releases. A rescuer puts the job back in the queue.
            try connection.execute("""
                UPDATE reimbursement_job
                   SET state = 'queued', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $1
                """, job)
            try connection.execute(
                "UPDATE reimbursement_job_attempt SET outcome = 'lost', finished_at = now() WHERE job_id = $1", job)

            let rescuer = try #require(try JobStateStore.claim(
                jobID: job, owner: "rescuer", leaseDuration: .seconds(30), on: connection))
            // The dead worker's lease is fenced off: it cannot go on posting.
            #expect(throws: LeaseLost.self) {
                _ = try Store.runner(connection, chunkSize: 7).run(lease)
            }
            guard case .succeeded = try Store.runner(connection, chunkSize: 7).run(rescuer) else {
                Issue.record("rescued run did not succeed")
                return [String]()
            }
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement_job WHERE id = $1 AND attempts = 2", job, on: connection) == 1)
            try PostingAudit.expectConsistent(company: MixedLedger.company, on: connection)
            return try MixedLedger.snapshot(job: job, on: connection)
        }
        #expect(snapshot == reference, "\(difference(snapshot, reference))")
    }
}

/// The first lines where two snapshots differ, for a readable failure.
func difference(_ lhs: [String], _ rhs: [String]) -> String {
    var out: [String] = []
    for index in 0..<max(lhs.count, rhs.count) {
        let left = index < lhs.count ? lhs[index] : "<none>"
        let right = index < rhs.count ? rhs[index] : "<none>"
        if left != right { out.append("#\(index): \(left)  vs  \(right)") }
        if out.count == 5 { break }
    }
    return out.isEmpty ? "identical" : out.joined(separator: "\n")
}
