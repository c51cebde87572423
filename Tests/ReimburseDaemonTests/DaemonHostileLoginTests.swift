import Foundation
import Postgres
@testable import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// Other logins of a shared database: advisory locks, NOTIFY and pg_stat_activity are open
    /// to all of them. None of it may block, delay or disturb a claim or a rescue.
    @Suite("Other logins")
    struct OtherLogins {
        /// The old queue's advisory-lock namespace: a hostile login that read an old README
        /// (or pg_locks) knows it.
        static let oldNamespace: Int32 = 1_380_273_474

        /// A reporting login granted only DEMF holds the lock key of a queued USMF job; an
        /// enqueue login enqueues a DEMF job and takes its key in the same transaction; both
        /// flood the queue channel with spoofed notifications. `serve --exit-when-idle`, as a
        /// plain service login, runs both jobs and exits; nobody's session was ended.
        @Test func locksAndNotificationsOfOtherLoginsBlockNothing() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("USMF", customers: 30, on: connection)
                try BulkLedger.company("DEMF", customers: 30, on: connection)
            }
            let reporter = try await database.createLogin(
                uniqueLogin("rpt"), memberOf: "reimburse_reporting", companies: ["DEMF"])
            let enqueuer = try await database.createLogin(
                uniqueLogin("enq"), memberOf: "reimburse_enqueue", companies: ["DEMF"])
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            let usmfJob = try await database.withConnection { try insertJob("USMF", on: $0) }

            let reporting = HeldSession(name: "hostile-reporting")
            let enqueueing = HeldSession(name: "hostile-enqueue")
            try await reporting.open(reporter)
            try await enqueueing.open(enqueuer)
            defer { Task { await reporting.close(); await enqueueing.close() } }
            try await reporting.run("SELECT pg_advisory_lock($1, ($2 % 2147483647)::int)::text", [Self.oldNamespace, usmfJob])
            try await reporting.run("SELECT pg_advisory_lock($1)::text", [usmfJob])
            let demfJob = try await enqueueing.run("""
                WITH job AS (INSERT INTO reimbursement_job (company_id, posting_date) VALUES ('DEMF', '2026-11-25')
                             RETURNING id)
                SELECT pg_advisory_lock(\(Self.oldNamespace), (id % 2147483647)::int)::text || id FROM job
                """).map { Int64($0.dropFirst(0).filter(\.isNumber)) ?? -1 } ?? -1
            #expect(demfJob > 0)
            for payload in ["inserted", "cancel_requested", "requeued", "", String(repeating: "x", count: 7000)] {
                try await reporting.run("SELECT pg_notify('reimbursement_job', $1)::text", [payload])
                try await enqueueing.run("SELECT pg_notify('reimbursement_job', $1)::text", [payload])
            }
            let pids = (try await reporting.backendPID, try await enqueueing.backendPID)

            var configuration = Daemon.configuration(service, instance: "among-others", workers: 2, exitWhenIdle: true)
            configuration.conditionRetryInterval = .milliseconds(300)
            let daemon = Daemon.start(configuration)
            // A flood of spoofed notifications while it works.
            for _ in 0..<200 {
                try await reporting.run("SELECT pg_notify('reimbursement_job', 'cancel_requested')::text")
            }
            let returned = try await daemon.waitForReturn(within: .seconds(30))
            #expect(returned, "serve --exit-when-idle did not finish: a lock of another login blocks a job")
            for (job, company) in [(usmfJob, "USMF"), (demfJob, "DEMF")] {
                let row = try await database.job(job)
                #expect(row.state == "succeeded" && row.attempts == 1, "\(company): \(row)")
                let check = try await database.withConnection { try BulkLedger.check(company, on: $0) }
                #expect(check.isExactlyOnce, "\(company): \(check)")
            }
            let alive = try await database.value(
                Int.self, "SELECT count(*)::int FROM pg_stat_activity WHERE pid IN ($1, $2)", [pids.0, pids.1])
            #expect(alive == 2, "the daemon ended a session of another login")
        }

        /// Two jobs of a holder login H: one holder hangs (its lease expires, its session
        /// lives), the other dies. A reporting login takes (or waits for) both jobs' old lock
        /// keys. The daemon runs as another service login D, which may not end H's session.
        /// Both jobs are taken over and finish exactly once; the reporting session is never
        /// signalled, and the rescue of one job does not wait on the other's trouble.
        @Test func rescueGoesOnPastHoldersItMayNotSignal() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("HANG", customers: 60, on: connection)
                try BulkLedger.company("GONE", customers: 60, on: connection)
                try insertJob("HANG", on: connection)
                try insertJob("GONE", on: connection)
            }
            let holderLogin = try await database.createLogin(uniqueLogin("hold"), memberOf: "reimburse_service")
            let reporter = try await database.createLogin(
                uniqueLogin("rpt"), memberOf: "reimburse_reporting", companies: ["HANG"])
            let daemonLogin = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")

            // The holders claim the queue's way: the hung one with a 1 s lease, the dying one
            // with a minute.
            let hung = DedicatedThread(name: "hung-holder")
            let hungConnection = HungHolder()
            let hungLease = try await hung.run {
                let connection = try PostgresConnection(conninfo: holderLogin, applicationName: "other-daemon-w0")
                let lease = try JobQueue.claim(owner: "other:1:w0", leaseDuration: .seconds(1), on: connection)
                hungConnection.keep(connection)
                return lease
            }
            let goneLease = try await database.withNewConnection { _ in
                let connection = try PostgresConnection(conninfo: holderLogin, applicationName: "other-daemon-w1")
                return try JobQueue.claim(owner: "other:1:w1", leaseDuration: .seconds(60), on: connection)
                // Closed here: this holder died.
            }
            let leases = try #require(hungLease.map { [$0] }.map { $0 + [goneLease].compactMap { $0 } })
            #expect(leases.count == 2 && Set(leases.map(\.companyID)) == ["HANG", "GONE"])

            let hostile = HeldSession(name: "hostile-reporting")
            try await hostile.open(reporter)
            let hostilePID = try await hostile.backendPID
            for lease in leases {
                // Blocks while a holder keeps the old key; that must not matter any more.
                hostile.start("SELECT pg_advisory_lock($1, ($2 % 2147483647)::int)", [Self.oldNamespace, lease.jobID])
            }
            let daemon = Daemon.start(Daemon.configuration(daemonLogin, instance: "rescuer-d", workers: 2, lease: .seconds(3)))
            for lease in leases {
                let row = try await database.waitForJob(lease.jobID, in: ["succeeded", "failed"], timeout: .seconds(20))
                #expect(row.state == "succeeded", "\(lease.companyID): \(row)")
                let attempts = try await database.attempts(lease.jobID)
                #expect(attempts.first?.outcome == "lost", "\(lease.companyID): \(attempts)")
                let check = try await database.withConnection { try BulkLedger.check(lease.companyID, on: $0) }
                #expect(check.isExactlyOnce, "\(lease.companyID): \(check)")
            }
            try await daemon.stop()
            let hostileAlive = try await database.value(
                Bool.self, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", [hostilePID])
            #expect(hostileAlive == true, "the rescue ended the reporting login's session")
            // The hung holder, waking up, can write nothing to its old job.
            let late = try await hung.run { () -> String in
                guard let connection = hungConnection.connection, let lease = hungLease else { return "no holder" }
                do {
                    try JobStateStore.release(lease, on: connection)
                    return "released a job it no longer holds"
                } catch is LeaseLost {
                    return "lease lost"
                } catch {
                    return "lease lost (\(error))"
                }
            }
            #expect(late.hasPrefix("lease lost"), "\(late)")
            _ = try? await database.withConnection { connection in
                _ = try connection.execute("SELECT pg_terminate_backend($1)", hostilePID)
            }
            await hostile.close()
            hung.shutdown()
        }

        /// The rescue judges a holder by its exact session. A recorded pid that now belongs to
        /// another login's session (pid reuse, or someone pretending) is not the holder; a live
        /// holder session is left alone.
        @Test func aHolderIsItsExactSessionNotItsPid() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("LIVE", customers: 5, on: connection)
                try BulkLedger.company("REUSED", customers: 5, on: connection)
                try insertJob("LIVE", on: connection)
                try insertJob("REUSED", on: connection)
            }
            let reporter = try await database.createLogin(
                uniqueLogin("rpt"), memberOf: "reimburse_reporting", companies: ["REUSED"])
            let other = HeldSession(name: "other-login")
            try await other.open(reporter, applicationName: "reimburse-worker-0")
            let otherPID = try await other.backendPID
            let outcome = try await database.withNewConnection { connection -> (rescued: [String], events: Int) in
                let holder = try PostgresConnection(conninfo: database.conninfo, applicationName: "reimburse-worker-0")
                var claimed: [JobLease] = []
                while let lease = try JobQueue.claim(owner: "h:1:w0", leaseDuration: .seconds(60), on: holder) {
                    claimed.append(lease)
                }
                // REUSED's holder "died" and its pid went to the reporting login's session, with
                // the same application name.
                let reused = claimed.first { $0.companyID == "REUSED" }!
                try connection.execute("UPDATE reimbursement_job SET holder_pid = $2 WHERE id = $1", reused.jobID, otherPID)
                let events = try JobRescue.pass(on: connection)
                let rescued = events.compactMap { event -> String? in
                    if case .rescued(let job) = event { return job.companyID } else { return nil }
                }
                return (rescued, events.count)
            }
            #expect(outcome.rescued == ["REUSED"] && outcome.events == 1, "\(outcome)")
            await other.close()
        }
    }
}

/// The hung holder's connection, kept between awaits on its own thread.
final class HungHolder: @unchecked Sendable {
    private(set) var connection: PostgresConnection?
    func keep(_ connection: PostgresConnection) { self.connection = connection }
}
