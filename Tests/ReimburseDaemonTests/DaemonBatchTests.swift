import Foundation
import Postgres
import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// Small jobs of several companies claimed together and run in one shared transaction, each
    /// in a savepoint (JobWorker+Batch.swift). One worker and jobs queued before the daemon
    /// starts make the batches known: its claims ramp 1, 2, 4, 8 companies in company order
    /// (none was served yet), so CO04..CO07 share one transaction.
    @Suite("Batches", .serialized)
    struct Batches {
        static let companies = (1...10).map { String(format: "CO%02d", $0) }

        static func prepare(_ database: TestDatabase) async throws -> [String: Int64] {
            try await database.withConnection { connection in
                var jobs: [String: Int64] = [:]
                for company in companies {
                    try BulkLedger.company(company, customers: 3, on: connection)
                    jobs[company] = try insertJob(company, on: connection)
                }
                return jobs
            }
        }

        static func configuration(_ conninfo: String, instance: String) -> DaemonConfiguration {
            var configuration = Daemon.configuration(conninfo, instance: instance, workers: 1, lease: .seconds(30))
            // Never cut short by time: which jobs share a transaction depends on the claims only.
            configuration.batchWindow = .seconds(600)
            return configuration
        }

        /// A job whose chunk the database refuses half-way (a statement error that aborts the
        /// transaction) fails alone: the other jobs of its shared transaction succeed, posted
        /// exactly once, and its own partial postings are gone. Every job's end still sends its
        /// `reimbursement_job_finished` notification (what `enqueue --wait` listens for).
        @Test func oneFailingJobLeavesTheOthersOfItsTransactionSucceeded() async throws {
            let database = try await TestServer.database()
            let jobs = try await Self.prepare(database)
            try await database.withConnection { connection in
                try connection.executeScript("""
                    CREATE FUNCTION test_refuse_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        RAISE EXCEPTION 'test: vendor invoices of CO05 are refused';
                    END $$;
                    CREATE TRIGGER test_refuse_invoice BEFORE INSERT ON vendor_invoice
                        FOR EACH ROW WHEN (NEW.company_id = 'CO05') EXECUTE FUNCTION test_refuse_invoice();
                    -- The (top-level) transaction that wrote each job's end: xmin would name the
                    -- job's savepoint instead.
                    CREATE TABLE test_job_end (company_id text PRIMARY KEY, transaction_id bigint NOT NULL);
                    CREATE FUNCTION test_log_end() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO test_job_end VALUES (NEW.company_id, txid_current());
                        RETURN NULL;
                    END $$;
                    CREATE TRIGGER test_log_end AFTER UPDATE OF state ON reimbursement_job
                        FOR EACH ROW WHEN (NEW.state IN ('succeeded', 'failed')) EXECUTE FUNCTION test_log_end();
                    """)
            }
            let listener = FinishListener()
            try await listener.open(database.conninfo)
            let daemon = Daemon.start(Self.configuration(database.conninfo, instance: "batch-fail"))
            try await eventually("every job ended", timeout: .seconds(60)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed')
                    """) == Self.companies.count
            }
            try await daemon.stop()
            let notified = try await listener.notifications()
            let summary = try await database.withConnection { connection in
                (
                    states: Dictionary(uniqueKeysWithValues: try connection.query(
                        "SELECT company_id, state || '/' || attempts FROM reimbursement_job") {
                        (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
                    }),
                    // The transaction that wrote each job's end.
                    endedIn: Dictionary(uniqueKeysWithValues: try connection.query(
                        "SELECT company_id, transaction_id::text FROM test_job_end") {
                        (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
                    }),
                    outcomes: try connection.query("""
                        SELECT outcome FROM reimbursement_job_attempt WHERE company_id = 'CO05' ORDER BY attempt
                        """) { try $0.decode(String?.self, at: 0) ?? "-" },
                    failedPostings: try connection.queryValue(Int.self, """
                        SELECT (SELECT count(*) FROM reimbursement WHERE company_id = 'CO05')
                             + (SELECT count(*) FROM vendor WHERE company_id = 'CO05' AND one_time)
                             + (SELECT count(*) FROM customer_transaction WHERE company_id = 'CO05' AND settled_amount <> 0)
                        """)!,
                    checks: try Self.companies.filter { $0 != "CO05" }.map { ($0, try BulkLedger.check($0, on: connection)) }
                )
            }
            print("batch with a failing job: \(summary.states.sorted { $0.key < $1.key }), ended in \(summary.endedIn.sorted { $0.key < $1.key })")
            #expect(summary.states["CO05"] == "failed/1")
            #expect(summary.outcomes == ["failed"])
            #expect(summary.failedPostings == 0)
            for company in Self.companies where company != "CO05" {
                #expect(summary.states[company] == "succeeded/1", "\(company)")
            }
            for (company, check) in summary.checks {
                #expect(check.isExactlyOnce, "\(company): \(check)")
            }
            // CO04..CO07 ended in one transaction, the failed job's end with them.
            let shared = Set(["CO04", "CO05", "CO06", "CO07"].map { summary.endedIn[$0] })
            #expect(shared.count == 1, "\(summary.endedIn)")
            #expect(Set(summary.endedIn.values).count < Self.companies.count)
            let ids = Set(notified.compactMap { payload -> Int64? in
                guard let data = payload.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                else { return nil }
                return (object["id"] as? NSNumber)?.int64Value
            })
            #expect(ids == Set(jobs.values), "notified \(notified)")
        }

        /// The worker's session dies while its shared transaction waits for a lock held by
        /// someone else: nothing of that transaction stays. The job that met it (CO06) records
        /// a retry on a new session; the others of the transaction (done, or never begun) are
        /// handed back by the worker over that session with their attempt released (issue 13:
        /// another company's trouble does not cost them an attempt). They then succeed on their
        /// next claim, and every credit is reimbursed exactly once. Jobs of committed
        /// transactions are untouched.
        @Test func killedSharedTransactionHandsItsOtherJobsBack() async throws {
            let database = try await TestServer.database()
            let jobs = try await Self.prepare(database)
            let holder = HeldSession(name: "sequence-holder")
            try await holder.open(database.conninfo)
            try await holder.run("BEGIN")
            try await holder.run("SELECT 1 FROM number_sequence WHERE company_id = 'CO06' FOR UPDATE")
            let daemon = Daemon.start(Self.configuration(database.conninfo, instance: "batch-kill"))
            try await eventually("the shared transaction waits for CO06's number sequences", timeout: .seconds(30)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM pg_stat_activity
                     WHERE application_name LIKE 'reimburse-worker-%' AND wait_event_type = 'Lock'
                    """) == 1
            }
            let killed = try await database.value(Bool.self, """
                SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
                 WHERE application_name LIKE 'reimburse-worker-%' AND wait_event_type = 'Lock'
                """)
            #expect(killed == true)
            try await holder.run("ROLLBACK")
            try await eventually("every job succeeded", timeout: .seconds(60)) {
                try await database.value(Int.self, "SELECT count(*)::int FROM reimbursement_job WHERE state = 'succeeded'")
                    == Self.companies.count
            }
            try await daemon.stop()
            let attempts = try await database.withConnection { connection in
                Dictionary(uniqueKeysWithValues: try connection.query("""
                    SELECT company_id, string_agg(attempt || ':' || coalesce(outcome, '-'), ',' ORDER BY attempt)
                      FROM reimbursement_job_attempt GROUP BY company_id
                    """) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) })
            }
            let checks = try await database.withConnection { connection in
                try Self.companies.map { ($0, try BulkLedger.check($0, on: connection)) }
            }
            print("killed shared transaction: attempts \(attempts.sorted { $0.key < $1.key })")
            for company in ["CO01", "CO02", "CO03"] {
                #expect(attempts[company] == "1:succeeded", "\(company)")
            }
            // CO04 and CO05 were done in the killed transaction, CO07 not begun: handed back.
            for company in ["CO04", "CO05", "CO07"] {
                #expect(attempts[company] == "1:released,2:succeeded", "\(company)")
            }
            // CO06 met the failure: its worker records a retry on a new session (this daemon's
            // rescue leaves the jobs its workers still hold).
            #expect(attempts["CO06"] == "1:retry,2:succeeded", "\(attempts)")
            for (company, check) in checks {
                #expect(check.isExactlyOnce, "\(company): \(check)")
                #expect(check.reimbursements == 3, "\(company)")
            }
            #expect(jobs.count == Self.companies.count)
        }
    }
}

/// A session listening on `reimbursement_job_finished` on a thread of its own, as
/// `reimburse enqueue --wait` does.
final class FinishListener: @unchecked Sendable {
    private let thread = DedicatedThread(name: "finish-listener")
    private var connection: PostgresConnection?

    func open(_ conninfo: String) async throws {
        try await thread.run { [self] in
            connection = try PostgresConnection(conninfo: conninfo, applicationName: "finish-listener")
            try connection!.listen("reimbursement_job_finished")
        }
    }

    /// The payloads delivered so far.
    func notifications() async throws -> [String] {
        try await thread.run { [self] in
            var payloads: [String] = []
            while let notification = try connection!.waitForNotification(timeout: .milliseconds(200)) {
                payloads.append(notification.payload)
            }
            connection = nil
            return payloads
        }
    }
}
