import Foundation
import Postgres
import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Synchronization
import Testing

extension DaemonTests {
    /// Long chunks and other sessions' locks (issue 11, kinds 8 and 10): a healthy job is never
    /// taken for dead, and waiting for a lock never uses up its attempts.
    @Suite("Locks and leases")
    struct LocksAndLeases {
        /// Kind 8. One daemon, 1,000 customers, a trigger sleeping 30 ms per reimbursement, a
        /// 5 s lease: each 500-customer chunk takes about 15 s, three leases. A second daemon
        /// idles beside it, ready to end the session of a job whose lease expired. Before the
        /// fix the heartbeat's UPDATE of the job row waited behind the first chunk's own lock
        /// on it, later chunks showed no progress within a lease, the lease expired, the
        /// holder's live session was ended, and the job failed after five attempts at 500/1000.
        @Test func aChunkLongerThanTheLeaseFinishesOnItsFirstAttempt() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("SLOW", customers: 1000, on: connection)
                try connection.executeScript("""
                    CREATE FUNCTION slow_reimbursement() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$;
                    CREATE TRIGGER slow_reimbursement BEFORE INSERT ON reimbursement
                        FOR EACH ROW EXECUTE FUNCTION slow_reimbursement();
                    """)
            }
            let holder = Daemon.start(
                database.conninfo, instance: "slow-a", workers: 1, chunkSize: 500, lease: .seconds(5))
            let job = try await database.withConnection { try insertJob("SLOW", on: $0) }
            try await eventually("the first daemon runs the job") { try await database.job(job).started }
            let bystander = Daemon.start(
                database.conninfo, instance: "slow-b", workers: 1, chunkSize: 500, lease: .seconds(5))
            // While it runs, the lease never lapses.
            var samples = 0
            var lapsed: [String] = []
            let deadline = ContinuousClock.now + .seconds(150)
            while ContinuousClock.now < deadline {
                let row = try await database.withConnection { connection in
                    try Store.sample(job, on: connection)
                }
                if row.state != "running" && row.state != "queued" { break }
                samples += 1
                if row.state == "queued" || row.lapsed { lapsed.append("\(row)") }
                try await Task.sleep(for: .milliseconds(250))
            }
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(10))
            try await bystander.stop()
            try await holder.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("SLOW", on: $0) }
            print("slow chunks: \(row); attempts " + attempts.map { "\($0.attempt):\($0.worker):\($0.outcome ?? "-") \($0.error ?? "")" }
                .joined(separator: ", ") + "; \(samples) samples, lapsed: \(lapsed.prefix(3)); \(check)")
            #expect(row.state == "succeeded")
            #expect(row.attempts == 1, "finished on its first attempt")
            #expect(attempts.map(\.outcome) == ["succeeded"], "no session ended, no attempt lost")
            #expect(lapsed.isEmpty, "the lease of a working holder never lapses")
            #expect(check.isExactlyOnce && check.reimbursements == 1000, "\(check)")
        }

        /// Kind 10 in the daemon: a clerk holds one customer's transaction, another clerk holds
        /// the vendor a second company's customer is paid through (the vendor invoice's foreign
        /// key waits for it until the lock timeout). Both jobs have a single attempt. They post
        /// what they can, wait with a visible reason and a backoff without using their attempt,
        /// and succeed once the clerks commit. Before the fix both jobs failed ("gave up after 1
        /// attempt: ... lock timeout") and the first company's unlocked customers were not posted.
        @Test func lockWaitsDoNotUseUpAttempts() async throws {
            let database = try await TestServer.database()
            let jobs = try await database.withConnection { connection in
                try LedgerFixture.company("HOLD", on: connection)
                for account in ["C1", "C2", "C3"] {
                    try LedgerFixture.customer("HOLD", account, on: connection)
                    try LedgerFixture.transaction("HOLD", account, amount: "-10", on: connection)
                }
                try LedgerFixture.company("VEND", on: connection)
                try LedgerFixture.vendor("VEND", "V1", on: connection)
                try LedgerFixture.customer("VEND", "D1", vendorAccount: "V1", on: connection)
                try LedgerFixture.transaction("VEND", "D1", amount: "-20", on: connection)
                return (try insertJob("HOLD", maxAttempts: 1, on: connection),
                        try insertJob("VEND", maxAttempts: 1, on: connection))
            }
            let clerks = Clerks(database)
            defer { clerks.shutdown() }
            clerks.hold("SELECT id FROM customer_transaction WHERE company_id = 'HOLD' AND customer_account = 'C2' FOR UPDATE")
            clerks.hold("SELECT account FROM vendor WHERE company_id = 'VEND' AND account = 'V1' FOR UPDATE")
            try await eventually("the clerks hold their rows") { clerks.holding == 2 }
            let daemon = Daemon.start(database.conninfo, instance: "locks", workers: 2, chunkSize: 10, lease: .seconds(3))
            try await eventually("both jobs wait, with a reason", timeout: .seconds(30)) {
                try await database.withConnection { connection in
                    try Store.count("""
                        SELECT count(*) FROM reimbursement_job
                         WHERE id = ANY($1) AND state = 'queued' AND wait_reason IS NOT NULL AND lock_waits >= 2
                        """, [jobs.0, jobs.1], on: connection)
                } == 2
            }
            let waiting = try await database.withConnection { connection in
                try Store.rows("""
                    SELECT company_id, attempts, wait_reason FROM reimbursement_job WHERE id = ANY($1) ORDER BY 1
                    """, [jobs.0, jobs.1], on: connection)
            }
            let postedWhileLocked = try await database.withConnection { connection in
                try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
            }
            clerks.release()
            try await eventually("the clerks committed") { clerks.holding == 0 }
            let hold = try await database.waitForJob(jobs.0, in: ["succeeded", "failed"], timeout: .seconds(60))
            let vend = try await database.waitForJob(jobs.1, in: ["succeeded", "failed"], timeout: .seconds(60))
            try await daemon.stop()
            let holdAttempts = try await database.attempts(jobs.0).map { $0.outcome ?? "-" }
            let vendAttempts = try await database.attempts(jobs.1).map { $0.outcome ?? "-" }
            print("while locked: \(waiting), posted \(postedWhileLocked); then HOLD \(hold) \(holdAttempts), "
                  + "VEND \(vend) \(vendAttempts)")
            #expect(postedWhileLocked == ["C1", "C3"], "the unlocked customers are posted at once")
            #expect(waiting.count == 2 && waiting[0].hasPrefix("HOLD|0|waiting for locked customers: 1 (C2)"))
            #expect(waiting.count == 2 && waiting[1].hasPrefix("VEND|0|waiting for a lock: "))
            #expect(hold.state == "succeeded" && hold.attempts == 1, "\(hold)")
            #expect(vend.state == "succeeded" && vend.attempts == 1, "\(vend)")
            #expect(holdAttempts.last == "succeeded" && holdAttempts.dropLast().allSatisfy { $0 == "waiting" })
            #expect(vendAttempts.last == "succeeded" && vendAttempts.dropLast().allSatisfy { $0 == "waiting" })
            let posted = try await database.withConnection { connection in
                try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
            }
            #expect(posted == ["C1", "C2", "C3", "D1"])
        }
    }
}

/// Small readers for the daemon's lock tests.
enum Store {
    struct Sample: CustomStringConvertible {
        var state: String
        var lapsed: Bool
        var done: Int
        var description: String { "\(state) lapsed=\(lapsed) done=\(done)" }
    }

    /// The job's state and whether its lease has run out while it is running.
    static func sample(_ job: Int64, on connection: PostgresConnection) throws -> Sample {
        let row = try connection.execute("""
            SELECT state, state = 'running' AND lease_expires_at < now(), customers_done
              FROM reimbursement_job WHERE id = $1
            """, job)[0]
        return Sample(state: try row.decode(at: 0), lapsed: try row.decode(at: 1), done: try row.decode(at: 2))
    }

    static func count(_ sql: String, _ parameters: any PostgresEncodable..., on connection: PostgresConnection) throws -> Int {
        try connection.execute(sql, parameters: parameters).first?.decode(Int.self, at: 0) ?? 0
    }

    static func rows(_ sql: String, _ parameters: any PostgresEncodable..., on connection: PostgresConnection) throws -> [String] {
        let result = try connection.execute(sql, parameters: parameters)
        return (0..<result.rowCount).map { index in
            (0..<result.columnNames.count).map { result[index][$0] ?? "NULL" }.joined(separator: "|")
        }
    }
}

/// Sessions of clerks, each holding a row lock in an open transaction until released.
final class Clerks: Sendable {
    private let database: TestDatabase
    private let released = Atomic<Bool>(false)
    private let held = Atomic<Int>(0)
    private let threads = Mutex<[DedicatedThread]>([])

    init(_ database: TestDatabase) {
        self.database = database
    }

    var holding: Int { held.load(ordering: .sequentiallyConsistent) }

    /// Opens a session that runs `sql` in a transaction and keeps it open until ``release()``.
    func hold(_ sql: String) {
        let thread = DedicatedThread(name: "clerk")
        threads.withLock { $0.append(thread) }
        let conninfo = database.server.conninfo
        let name = database.name
        Task.detached { [self] in
            try await thread.run { [self] in
                let connection = try PostgresConnection(conninfo: conninfo, overrides: ["dbname": name])
                try connection.execute("BEGIN")
                try connection.execute(sql)
                held.add(1, ordering: .sequentiallyConsistent)
                let deadline = Date().addingTimeInterval(60)
                while !released.load(ordering: .acquiring) && Date() < deadline { usleep(5000) }
                try connection.execute("COMMIT")
                held.subtract(1, ordering: .sequentiallyConsistent)
            }
        }
    }

    func release() { released.store(true, ordering: .releasing) }

    func shutdown() {
        release()
    }
}
