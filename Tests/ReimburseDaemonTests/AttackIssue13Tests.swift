#if canImport(Glibc)
import Foundation
import Postgres
import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

// ATTACK ON ISSUE 13 (shared transactions of batched jobs, JobWorker+Batch.swift).
// Tests marked "BREAK" fail on the change as committed; tests marked "HELD" are regression
// tests for attacks the change withstood.

extension DaemonTests {
    @Suite("Attack issue 13: batches", .serialized)
    struct AttackIssue13Batches {
        static let companies = (1...10).map { String(format: "CO%02d", $0) }

        static func prepare(_ database: TestDatabase, maxAttempts: Int = 5) async throws -> [String: Int64] {
            try await database.withConnection { connection in
                var jobs: [String: Int64] = [:]
                for company in companies {
                    try BulkLedger.company(company, customers: 3, on: connection)
                    jobs[company] = try insertJob(company, maxAttempts: maxAttempts, on: connection)
                }
                return jobs
            }
        }

        /// One worker, jobs queued before the daemon starts: claims ramp 1, 2, 4, 8 companies,
        /// so CO04..CO07 share one transaction (as in DaemonBatchTests).
        static func configuration(
            _ conninfo: String, instance: String, lease: Duration, batchLimit: Int = 16
        ) -> DaemonConfiguration {
            var configuration = Daemon.configuration(conninfo, instance: instance, workers: 1, lease: lease)
            configuration.batchWindow = .seconds(600)
            configuration.claimBatchLimit = batchLimit
            return configuration
        }

        static func attempts(_ database: TestDatabase) async throws -> [String: String] {
            try await database.withConnection { connection in
                Dictionary(uniqueKeysWithValues: try connection.query("""
                    SELECT company_id, string_agg(attempt || ':' || coalesce(outcome, '-'), ',' ORDER BY attempt)
                      FROM reimbursement_job_attempt GROUP BY company_id
                    """) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) })
            }
        }

        /// An ERP trigger makes CO06's (only) chunk take 3 s, longer than the 1.5 s lease. A job
        /// running alone lives through that: the heartbeat renews a lease whose holder session is
        /// busy (JobQueue.renewLeasesSQL; "a chunk longer than a lease: a slow disk, a big
        /// customer, a trigger"). See the control test below.
        static func slowChunkTrigger(on connection: PostgresConnection) throws {
            try connection.executeScript("""
                CREATE FUNCTION test_slow_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM written WHERE company_id = 'CO06') THEN
                        PERFORM pg_sleep(3);
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER test_slow_invoice AFTER INSERT ON vendor_invoice REFERENCING NEW TABLE AS written
                    FOR EACH STATEMENT EXECUTE FUNCTION test_slow_invoice();
                """)
        }

        static func runSlowChunk(batchLimit: Int, instance: String) async throws -> [String: String] {
            let database = try await TestServer.database()
            _ = try await Self.prepare(database)
            try await database.withConnection { connection in try Self.slowChunkTrigger(on: connection) }
            let daemon = Daemon.start(Self.configuration(
                database.conninfo, instance: instance, lease: .milliseconds(1500), batchLimit: batchLimit))
            try await eventually("every job ended", timeout: .seconds(90)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed')
                    """) == Self.companies.count
            }
            try await daemon.stop()
            let checks = try await database.withConnection { connection in
                try Self.companies.map { ($0, try BulkLedger.check($0, on: connection)) }
            }
            for (company, check) in checks {
                #expect(check.isExactlyOnce, "\(company): \(check)")
            }
            return try await Self.attempts(database)
        }

        /// HELD (control): without batches, the job whose chunk outlives its lease keeps it
        /// (its session is busy) and every job succeeds on its first attempt.
        @Test func controlASlowChunkOutlivesItsLeaseWhenRunAlone() async throws {
            let attempts = try await Self.runSlowChunk(batchLimit: 1, instance: "attack13-slow-alone")
            print("slow chunk, no batches: \(attempts.sorted { $0.key < $1.key })")
            for company in Self.companies {
                #expect(attempts[company] == "1:succeeded", "\(company): \(attempts)")
            }
        }

        /// BREAK: the same slow chunk inside a shared transaction. The jobs done before it in
        /// the transaction (CO04, CO05) hold their job rows locked (their uncommitted progress
        /// UPDATE) until the shared commit, so the heartbeat's single renewal UPDATE of all the
        /// daemon's leases waits for those row locks, gives up after 1 s, and renews NO lease,
        /// not even the busy CO06's. The committed leases (claim time + lease) run out, the
        /// rescue sees expired leases with a live holder and terminates the worker's session:
        /// the whole shared transaction is lost, and CO04, CO05 (done) and CO07 (never begun)
        /// each lose an attempt to CO06's slowness. Should: as when run alone, every job
        /// succeeds on attempt 1 (a batched job's slow chunk must not cost the others).
        @Test func aSlowChunkInASharedTransactionLetsEveryLeaseOfTheBatchExpire() async throws {
            let attempts = try await Self.runSlowChunk(batchLimit: 16, instance: "attack13-slow-batch")
            print("slow chunk in a batch: \(attempts.sorted { $0.key < $1.key })")
            for company in Self.companies {
                #expect(attempts[company] == "1:succeeded", "\(company): \(attempts)")
            }
        }

        /// BREAK: the attempts of jobs that were claimed into a batch but never begun. Every job
        /// allows one attempt (max_attempts = 1). The shared transaction of CO04..CO07 waits for
        /// a lock on CO06's number sequences, and its session is terminated (a DBA's
        /// pg_terminate_backend, an OOM kill of the backend, the rescue's hung-holder kill).
        /// CO07 was claimed with the others (attempt 1 recorded at the claim) but its job never
        /// started; CO04 and CO05 had finished cleanly. The rescue finds them with attempts =
        /// max_attempts and fails them for good: "gave up after 1 attempts: the worker running
        /// it died". Before batches only the job whose session died was affected. Should: a job
        /// that never began (CO07), and jobs whose own work did nothing wrong, are not failed by
        /// another company's trouble; they end succeeded.
        @Test func aKilledSharedTransactionFailsJobsThatNeverBeganWhenAttemptsAreUsedUp() async throws {
            let database = try await TestServer.database()
            _ = try await Self.prepare(database, maxAttempts: 1)
            let holder = HeldSession(name: "sequence-holder")
            try await holder.open(database.conninfo)
            try await holder.run("BEGIN")
            try await holder.run("SELECT 1 FROM number_sequence WHERE company_id = 'CO06' FOR UPDATE")
            let daemon = Daemon.start(Self.configuration(database.conninfo, instance: "attack13-kill", lease: .seconds(30)))
            try await eventually("the shared transaction waits for CO06's number sequences", timeout: .seconds(30)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM pg_stat_activity
                     WHERE application_name LIKE 'reimburse-worker-%' AND wait_event_type = 'Lock'
                    """) == 1
            }
            _ = try await database.value(Bool.self, """
                SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
                 WHERE application_name LIKE 'reimburse-worker-%' AND wait_event_type = 'Lock'
                """)
            try await holder.run("ROLLBACK")
            try await eventually("every job ended", timeout: .seconds(60)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed')
                    """) == Self.companies.count
            }
            try await daemon.stop()
            let states = try await database.withConnection { connection in
                Dictionary(uniqueKeysWithValues: try connection.query(
                    "SELECT company_id, state || ': ' || coalesce(last_error, '') FROM reimbursement_job") {
                    (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
                })
            }
            print("killed shared transaction, max_attempts 1: \(states.sorted { $0.key < $1.key })")
            for company in Self.companies where company != "CO06" {
                #expect(states[company]?.hasPrefix("succeeded") == true, "\(company): \(states[company] ?? "-")")
            }
        }

        /// HELD: a job of the batch whose period is closed fails alone, naming the period; the
        /// others of its shared transaction succeed exactly once.
        @Test func aClosedPeriodFailsOnlyItsOwnJobOfTheBatch() async throws {
            let database = try await TestServer.database()
            _ = try await Self.prepare(database)
            try await database.withConnection { connection in
                try connection.execute("""
                    INSERT INTO ledger_period (company_id, period_start, period_end, status)
                    VALUES ('CO05', '2000-01-01', '2999-12-31', 'closed')
                    """)
                return ()
            }
            let daemon = Daemon.start(Self.configuration(database.conninfo, instance: "attack13-period", lease: .seconds(30)))
            try await eventually("every job ended", timeout: .seconds(60)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed')
                    """) == Self.companies.count
            }
            try await daemon.stop()
            try await database.withConnection { connection in
                let states = Dictionary(uniqueKeysWithValues: try connection.query(
                    "SELECT company_id, state || '/' || attempts FROM reimbursement_job") {
                    (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
                })
                #expect(states["CO05"] == "failed/1", "\(states)")
                #expect(try connection.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement WHERE company_id = 'CO05'") == 0)
                for company in Self.companies where company != "CO05" {
                    #expect(states[company] == "succeeded/1", "\(company): \(states)")
                    let check = try BulkLedger.check(company, on: connection)
                    #expect(check.isExactlyOnce, "\(company): \(check)")
                }
                // job_overview shows the batched jobs like any other.
                #expect(try connection.queryValue(Int.self, """
                    SELECT count(*)::int FROM job_overview WHERE state = 'succeeded' AND reimbursements = 3
                       AND customers_done = customers_total AND finished_at IS NOT NULL
                    """) == Self.companies.count - 1)
            }
        }
    }
}
#endif
