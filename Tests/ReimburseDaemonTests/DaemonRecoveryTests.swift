import Foundation
import LocalPostgres
import Logging
import Postgres
@testable import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import ServiceLifecycle
import Synchronization
import Testing

extension DaemonTests {
    /// What happens when things go wrong: a worker dies, loses its lease, hits a transient
    /// error, is asked to stop, or the database restarts. Nothing is ever posted twice.
    @Suite("Recovery")
    struct Recovery {
        /// A worker's connection is killed in the middle of a large job: the job is taken up
        /// again within 5 seconds and finishes with every customer posted exactly once.
        @Test func killedWorkerConnectionIsRescuedAndNothingIsPostedTwice() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("KILL", customers: 2000, on: $0) }
            let daemon = Daemon.start(database.conninfo, instance: "killed", workers: 2, chunkSize: 10)
            let job = try await database.withConnection { try insertJob("KILL", on: $0) }
            try await eventually("the job is well under way") { try await database.job(job).customersDone >= 200 }
            let kill = try await database.withConnection { connection in
                let row = try connection.execute("""
                    SELECT pg_terminate_backend(a.pid), clock_timestamp()::text, j.customers_done, a.application_name
                      FROM reimbursement_job j
                      JOIN pg_stat_activity a ON a.pid = j.holder_pid
                     WHERE j.id = $1 AND j.state = 'running'
                    """, job)
                return (killed: try row.first?.decode(Bool.self, at: 0) ?? false,
                        at: try row.first?.decode(String.self, at: 1) ?? "",
                        done: try row.first?.decode(Int.self, at: 2) ?? -1,
                        worker: try row.first?.decode(String.self, at: 3) ?? "")
            }
            #expect(kill.killed, "no running worker backend was found to kill")
            try await eventually("the job is taken up again", timeout: .seconds(10)) {
                try await database.attempts(job).count >= 2
            }
            let rescueMs = try await database.value(Double.self, """
                SELECT extract(epoch FROM min(started_at) - $2::timestamptz)::float8 * 1000
                  FROM reimbursement_job_attempt WHERE job_id = $1 AND attempt >= 2
                """, [job, kill.at])!
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("KILL", on: $0) }
            print("killed worker (\(kill.worker) at \(kill.done)/2000 customers): taken up again after "
                  + String(format: "%.0f", rescueMs) + " ms; attempts "
                  + attempts.map { "\($0.attempt):\($0.outcome ?? "-")(\($0.error ?? ""))" }.joined(separator: ", ")
                  + "; \(check)")
            #expect(rescueMs < 5000)
            #expect(row.state == "succeeded")
            #expect(row.customersDone == 2000)
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 2000)
        }

        /// A worker process that dies (its session ends) while it holds a job: the supervisor's
        /// check of the recorded holder session sees the holder gone and puts the job back within 5 seconds,
        /// although its lease still has a minute to run. While the holder lives, the job is left
        /// alone.
        @Test func deadHolderIsRescuedByTheHolderSessionCheck() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("DEAD", customers: 300, on: $0) }
            let holderMayDie = Atomic<Bool>(false)
            let claimed = Atomic<Bool>(false)
            // A would-be worker of another process: claims the job the daemon's way, posts three
            // chunks, and holds on until told to die.
            async let holder: (lease: String, diedAt: String) = database.withNewConnection { connection in
                try LedgerFixture.job("DEAD", on: connection)
                var lease: JobLease?
                for _ in 0..<200 where lease == nil {
                    lease = try JobQueue.claim(owner: "crashed-host:1:w0", leaseDuration: .seconds(60), on: connection)
                    if lease == nil { Thread.sleep(forTimeInterval: 0.005) }
                }
                guard let lease else { throw TimedOut(description: "could not claim the job") }
                var chunks = 0
                let outcome = try JobRunner(
                    connection: connection, configuration: JobRunnerConfiguration(chunkSize: 10, leaseDuration: .seconds(60)),
                    logger: Daemon.logger
                ).run(lease, shouldStop: { chunks >= 3 }, progress: { _, _ in chunks += 1 })
                guard case .interrupted = outcome else { throw TimedOut(description: "unexpected \(outcome)") }
                claimed.store(true, ordering: .sequentiallyConsistent)
                while !holderMayDie.load(ordering: .sequentiallyConsistent) { Thread.sleep(forTimeInterval: 0.005) }
                let diedAt = try connection.queryValue(String.self, "SELECT clock_timestamp()::text")!
                return (lease.token.uuidString, diedAt)
                // The connection closes here, as a crashed process's would.
            }
            try await eventually("the other process holds the job") { claimed.load(ordering: .sequentiallyConsistent) }
            let daemon = Daemon.start(database.conninfo, instance: "rescuer", workers: 2, chunkSize: 10)
            let job = try await database.value(Int64.self, "SELECT id FROM reimbursement_job WHERE company_id = 'DEAD'")!
            // A few of the daemon's housekeeping rounds (every 200 ms): a live holder keeps its
            // job. Not a multiple of 200 ms, so the death does not fall just before a round.
            try await Task.sleep(for: .milliseconds(1290))
            let whileAlive = try await database.job(job)
            #expect(whileAlive.state == "running" && whileAlive.leaseOwner == "crashed-host:1:w0", "\(whileAlive)")
            holderMayDie.store(true, ordering: .sequentiallyConsistent)
            let died = try await holder
            try await eventually("the job is taken up again", timeout: .seconds(10)) {
                try await database.attempts(job).count >= 2
            }
            let rescueMs = try await database.value(Double.self, """
                SELECT extract(epoch FROM min(started_at) - $2::timestamptz)::float8 * 1000
                  FROM reimbursement_job_attempt WHERE job_id = $1 AND attempt >= 2
                """, [job, died.diedAt])!
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(20))
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("DEAD", on: $0) }
            print("dead holder: rescued by the holder-session check after " + String(format: "%.0f", rescueMs)
                  + " ms; attempts " + attempts.map { "\($0.attempt):\($0.outcome ?? "-")(\($0.error ?? ""))" }
                .joined(separator: ", "))
            #expect(rescueMs < 5000)
            #expect(attempts.first?.outcome == "lost" && attempts.first?.error == "worker connection lost")
            #expect(row.state == "succeeded")
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 300)
        }

        /// A hung holder: its session lives on (the recorded holder session) but it stopped
        /// renewing its lease. Once the lease has expired the daemon ends that session and takes
        /// the job over; the hung worker, if it ever wakes up, can post nothing.
        @Test func hungHolderIsEndedAndItsJobTakenOver() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("HUNG", customers: 200, on: $0) }
            let wakeUp = Atomic<Bool>(false)
            let claimed = Atomic<Bool>(false)
            async let hung: (leaseLostOrDead: Bool, error: String) = database.withNewConnection { connection in
                try LedgerFixture.job("HUNG", on: connection)
                guard let lease = try JobQueue.claim(owner: "hung-host:1:w0", leaseDuration: .seconds(1), on: connection)
                else { throw TimedOut(description: "could not claim the job") }
                let runner = JobRunner(
                    connection: connection, configuration: JobRunnerConfiguration(chunkSize: 10, leaseDuration: .seconds(1)),
                    logger: Daemon.logger)
                var chunks = 0
                _ = try runner.run(lease, shouldStop: { chunks >= 1 }, progress: { _, _ in chunks += 1 })
                claimed.store(true, ordering: .sequentiallyConsistent)
                while !wakeUp.load(ordering: .sequentiallyConsistent) { Thread.sleep(forTimeInterval: 0.01) }
                // Wakes up long after: tries to go on with its job.
                do {
                    _ = try runner.run(lease)
                    return (false, "it ran on")
                } catch let error as PostgresError {
                    return (!connection.isConnected || error.kind == .connectionLost, "\(error)")
                } catch is LeaseLost {
                    return (true, "lease lost")
                }
            }
            try await eventually("the hung worker holds the job") { claimed.load(ordering: .sequentiallyConsistent) }
            let job = try await database.value(Int64.self, "SELECT id FROM reimbursement_job WHERE company_id = 'HUNG'")!
            let daemon = Daemon.start(database.conninfo, instance: "taker", workers: 2, chunkSize: 10)
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(20))
            wakeUp.store(true, ordering: .sequentiallyConsistent)
            let woke = try await hung
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("HUNG", on: $0) }
            print("hung holder: attempts " + attempts.map { "\($0.attempt):\($0.outcome ?? "-")(\($0.error ?? ""))" }
                .joined(separator: ", ") + "; on waking up the hung worker got: \(woke.error)")
            #expect(row.state == "succeeded")
            #expect(attempts.first?.outcome == "lost" && attempts.count == 2)
            #expect(woke.leaseLostOrDead, "the hung worker must not be able to go on: \(woke.error)")
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 200)
        }

        /// A worker whose lease was taken over rolls back: nothing it posts after the takeover
        /// stays.
        @Test func lostLeaseRollsBackTheLateWorker() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("LATE", customers: 40, on: connection)
                try BulkLedger.company("MID", customers: 40, on: connection)
            }
            let conninfo = database.conninfo
            let outcome = try await database.withNewConnection { connection in
                let other = try PostgresConnection(conninfo: conninfo, applicationName: "reimburse-tests")
                let runner = JobRunner(
                    connection: connection, configuration: JobRunnerConfiguration(chunkSize: 10, leaseDuration: .seconds(30)),
                    logger: Daemon.logger)
                // Taken over before the late worker's first chunk.
                let first = try LedgerFixture.job("LATE", on: connection)
                let lease = try JobStateStore.claim(jobID: first, owner: "late:w0", leaseDuration: .seconds(30), on: connection)!
                try other.execute("UPDATE reimbursement_job SET lease_token = gen_random_uuid() WHERE id = $1", first)
                var lostBeforeStart = false
                do { _ = try runner.run(lease) } catch is LeaseLost { lostBeforeStart = true }

                // Taken over after the late worker's first chunk committed.
                let second = try LedgerFixture.job("MID", on: connection)
                let midLease = try JobStateStore.claim(jobID: second, owner: "late:w0", leaseDuration: .seconds(30), on: connection)!
                var lostMidway = false
                var takeoverError: String?
                do {
                    _ = try runner.run(midLease, progress: { done, _ in
                        guard done == 10 else { return }
                        do {
                            try other.execute("UPDATE reimbursement_job SET lease_token = gen_random_uuid() WHERE id = $1", second)
                        } catch { takeoverError = "\(error)" }
                    })
                } catch is LeaseLost { lostMidway = true }
                return (lostBeforeStart, lostMidway, takeoverError)
            }
            #expect(outcome.0, "the late worker must see LeaseLost")
            #expect(outcome.1, "the late worker must see LeaseLost after the takeover")
            #expect(outcome.2 == nil)
            let posted = try await database.withConnection { connection in
                (
                    late: try connection.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement WHERE company_id = 'LATE'")!,
                    lateNumbers: try connection.queryValue(Int.self,
                        "SELECT max(next_value)::int FROM number_sequence WHERE company_id = 'LATE'")!,
                    lateDone: try connection.queryValue(Int.self,
                        "SELECT customers_done FROM reimbursement_job WHERE company_id = 'LATE'")!,
                    mid: try connection.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement WHERE company_id = 'MID'")!,
                    midDone: try connection.queryValue(Int.self,
                        "SELECT customers_done FROM reimbursement_job WHERE company_id = 'MID'")!,
                    midSettled: try connection.queryValue(Int.self, """
                        SELECT count(*)::int FROM customer_transaction
                         WHERE company_id = 'MID' AND amount < 0 AND settled_amount <> 0
                        """)!
                )
            }
            #expect(posted.late == 0 && posted.lateNumbers == 1 && posted.lateDone == 0, "\(posted)")
            // Only the chunk committed before the takeover stays; its credits are the only ones settled.
            #expect(posted.mid == 10 && posted.midDone == 10, "\(posted)")
            #expect(posted.midSettled == 11, "customers 1–10 hold 11 credits (customer 7 has two)")
        }

        /// The daemon's worker whose lease is taken over rolls back its chunk and lets go; the job
        /// is put back and finished, nothing posted twice.
        @Test func daemonWorkerLosingItsLeaseLetsGo() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("TAKE", customers: 1500, on: $0) }
            let daemon = Daemon.start(database.conninfo, instance: "takeover", workers: 1, chunkSize: 10)
            let job = try await database.withConnection { try insertJob("TAKE", on: $0) }
            try await eventually("the job is under way") { try await database.job(job).customersDone >= 50 }
            let doneAtTakeover = try await database.value(Int.self, """
                UPDATE reimbursement_job SET lease_token = gen_random_uuid() WHERE id = $1 RETURNING customers_done
                """, [job])!
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("TAKE", on: $0) }
            print("lease taken over at \(doneAtTakeover) customers: attempts "
                  + attempts.map { "\($0.attempt):\($0.outcome ?? "-")" }.joined(separator: ", ") + "; \(check)")
            #expect(row.state == "succeeded")
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 1500)
            #expect(attempts.count == 2 && attempts.first?.outcome == "lost")
        }

        /// Makes every posting of `company` fail with a transient error (a serialization failure
        /// raised by a trigger) while a job of it runs, until `done` says the daemon reacted;
        /// returns what was seen at that moment. (A lock wait was the transient error here once:
        /// it no longer uses an attempt, see DaemonLockTests.)
        private func whileTransientlyFailing(
            _ database: TestDatabase, company: String, maxAttempts: Int,
            until done: @escaping @Sendable (JobRow) -> Bool
        ) async throws -> (job: Int64, seen: JobRow, runAtInMs: Double, outcomes: [String]) {
            try await database.withConnection { connection in
                try connection.executeScript("""
                    CREATE TABLE failing_company (company_id text PRIMARY KEY);
                    CREATE FUNCTION fail_transiently() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF EXISTS (SELECT 1 FROM failing_company f WHERE f.company_id = NEW.company_id) THEN
                            RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = '40001';
                        END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER fail_transiently BEFORE INSERT ON reimbursement
                        FOR EACH ROW EXECUTE FUNCTION fail_transiently();
                    """)
                try connection.execute("INSERT INTO failing_company VALUES ($1)", company)
            }
            return try await database.withNewConnection { watcher in
                let job = try insertJob(company, maxAttempts: maxAttempts, on: watcher)
                let deadline = ContinuousClock.now + .seconds(20)
                var seen = try JobRow.load(job, on: watcher)
                while !done(seen) && ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.01)
                    seen = try JobRow.load(job, on: watcher)
                }
                let runAtInMs = try watcher.queryValue(Double.self,
                    "SELECT extract(epoch FROM run_at - now())::float8 * 1000 FROM reimbursement_job WHERE id = $1", job)!
                let outcomes = try watcher.query(
                    "SELECT coalesce(outcome, '-') FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt", job
                ) { try $0.decode(String.self, at: 0) }
                try watcher.execute("DELETE FROM failing_company WHERE company_id = $1", company)
                return (job, seen, runAtInMs, outcomes)
            }
        }

        /// A transient error (a serialization failure) sends the job back to the queue with a
        /// backoff and an attempt marked retry; the next attempt succeeds.
        @Test func transientErrorIsRetriedWithBackoff() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("RETRY", customers: 25, on: $0) }
            let daemon = Daemon.start(database.conninfo, instance: "retry", workers: 1, chunkSize: 10)
            let observed = try await whileTransientlyFailing(database, company: "RETRY", maxAttempts: 5) { row in
                row.state != "running" && row.attempts >= 1
            }
            let row = try await database.waitForJob(observed.job, in: ["succeeded", "failed"], timeout: .seconds(20))
            try await daemon.stop()
            let attempts = try await database.attempts(observed.job)
            print("retry: after the transient error the job was \(observed.seen.state), due again in "
                  + String(format: "%.0f", observed.runAtInMs) + " ms, attempts "
                  + attempts.map { "\($0.attempt):\($0.outcome ?? "-")(\($0.error ?? ""))" }.joined(separator: ", "))
            #expect(observed.seen.state == "queued")
            #expect(observed.runAtInMs > 0, "a retry waits out a backoff")
            #expect(observed.outcomes == ["retry"])
            #expect(observed.seen.lastError?.contains("simulated serialization failure") == true, "\(observed.seen)")
            #expect(row.state == "succeeded")
            #expect(row.attempts == 2)
            #expect(attempts.map(\.outcome) == ["retry", "succeeded"])
            let check = try await database.withConnection { try BulkLedger.check("RETRY", on: $0) }
            #expect(check.isExactlyOnce, "\(check)")
        }

        /// With max_attempts = 1, a transient failure ends the job: failed, 'gave up after'.
        @Test func transientErrorWithNoAttemptLeftFails() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("ONCE", customers: 25, on: $0) }
            let daemon = Daemon.start(database.conninfo, instance: "once", workers: 1, chunkSize: 10)
            let observed = try await whileTransientlyFailing(database, company: "ONCE", maxAttempts: 1) { row in
                row.state != "running" && row.attempts >= 1
            }
            // Nothing more happens to it once the lock is gone.
            try await Task.sleep(for: .milliseconds(500))
            let row = try await database.job(observed.job)
            try await daemon.stop()
            print("max attempts 1: \(row)")
            #expect(row.state == "failed")
            #expect(row.attempts == 1)
            #expect(row.lastError?.hasPrefix("gave up after 1 attempt") == true, "\(row)")
            #expect(observed.outcomes == ["failed"], "the last attempt failed; no retry is coming")
            #expect(try await database.value(Int.self, "SELECT count(*)::int FROM reimbursement WHERE company_id = 'ONCE'") == 0)
        }

        /// A graceful stop in the middle of a job hands it back without using an attempt; another
        /// daemon finishes it, nothing posted twice.
        @Test func gracefulStopReleasesTheJob() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("STOP", customers: 2000, on: $0) }
            let first = Daemon.start(database.conninfo, instance: "stopping", workers: 1, chunkSize: 10)
            let job = try await database.withConnection { try insertJob("STOP", on: $0) }
            try await eventually("the job is under way") { try await database.job(job).customersDone >= 100 }
            let stopAsked = ContinuousClock.now
            try await first.stop(within: .seconds(10))
            let stopTook = ContinuousClock.now - stopAsked
            let released = try await database.job(job)
            let afterStop = try await database.withConnection { try BulkLedger.check("STOP", on: $0) }
            print("graceful stop took \(stopTook): \(released); \(afterStop.reimbursements) posted")
            #expect(released.state == "queued")
            #expect(released.attempts == 0, "a graceful stop does not use an attempt")
            #expect(released.customersDone > 0 && released.customersDone < 2000)
            #expect(afterStop.reimbursements == released.customersDone)
            #expect(try await database.attempts(job).map(\.outcome) == ["released"])

            let second = Daemon.start(database.conninfo, instance: "finishing", workers: 1, chunkSize: 50, exitWhenIdle: true)
            #expect(try await second.waitForReturn(within: .seconds(30)))
            let row = try await database.job(job)
            let check = try await database.withConnection { try BulkLedger.check("STOP", on: $0) }
            #expect(row.state == "succeeded")
            #expect(row.attempts == 1)
            #expect(try await database.attempts(job).map(\.outcome) == ["released", "succeeded"])
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 2000)
        }

        /// `reimburse serve` runs the daemon in a ServiceLifecycle group: its graceful shutdown
        /// (SIGTERM) releases the job, and an idle daemon elsewhere, polling only every 10 s,
        /// takes it over at once (the release is announced) and finishes it.
        @Test func serviceGroupShutdownHandsTheJobToAnotherDaemon() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("HAND", customers: 1500, on: $0) }
            let first = ReimbursementDaemon(
                configuration: Daemon.configuration(database.conninfo, instance: "leaving", workers: 1, chunkSize: 10),
                logger: Daemon.logger, notifier: SystemdNotifier(environment: [:]))
            let group = ServiceGroup(services: [first], logger: Daemon.logger)
            let groupRun = Task { try await group.run() }
            let job = try await database.withConnection { try insertJob("HAND", on: $0) }
            try await eventually("the job is under way") { try await database.job(job).customersDone >= 50 }
            // The other daemon is up and idle: the job's company is busy, its next poll 10 s away.
            let second = Daemon.start(database.conninfo, instance: "staying", workers: 1, chunkSize: 10, poll: .seconds(10))
            try await eventually("the second daemon is connected") {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM pg_stat_activity
                     WHERE datname = current_database() AND application_name LIKE 'reimburse-listener #%'
                    """) == 2
            }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            #expect(try await DaemonRun(task: groupRun).waitForReturn(within: .seconds(10)), "the group must stop")
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            try await second.stop()
            let attempts = try await database.attempts(job)
            let handoffMs = try await database.value(Double.self, """
                SELECT extract(epoch FROM b.started_at - a.finished_at)::float8 * 1000
                  FROM reimbursement_job_attempt a JOIN reimbursement_job_attempt b ON b.job_id = a.job_id AND b.attempt = 2
                 WHERE a.job_id = $1 AND a.attempt = 1
                """, [job]) ?? -1
            let check = try await database.withConnection { try BulkLedger.check("HAND", on: $0) }
            print("handoff after a graceful shutdown: the other daemon took the job \(String(format: "%.1f", handoffMs)) ms "
                  + "after the release; attempts " + attempts.map { "\($0.attempt):\($0.worker):\($0.outcome ?? "-")" }
                .joined(separator: ", "))
            #expect(attempts.map(\.outcome) == ["released", "succeeded"])
            #expect(attempts.first?.worker.hasPrefix("leaving:") == true && attempts.last?.worker.hasPrefix("staying:") == true)
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            #expect(handoffMs >= 0 && handoffMs < 2000, "the release must wake the other daemon, not its 10 s poll")
            #expect(check.isExactlyOnce, "\(check)")
            #expect(check.reimbursements == 1500)
        }

        /// Chaos: three daemons while worker and listener sessions are killed at random every
        /// few dozen milliseconds. Every job still ends succeeded, and every company's books show
        /// each credit settled exactly once.
        @Test func randomlyKilledSessionsNeverPostTwice() async throws {
            let database = try await TestServer.database()
            let companies = (1...12).map { String(format: "KX%02d", $0) }
            try await database.withConnection { connection in
                for company in companies { try BulkLedger.company(company, customers: 120, on: connection) }
                try connection.execute("""
                    INSERT INTO reimbursement_job (company_id, max_attempts)
                    SELECT 'KX' || lpad(((g - 1) % 12 + 1)::text, 2, '0'), 100 FROM generate_series(1, 36) g
                    """)
                return ()
            }
            let daemons = ["x", "y", "z"].map {
                Daemon.start(database.conninfo, instance: $0, workers: 2, chunkSize: 5, lease: .seconds(2))
            }
            var kills = 0
            let deadline = ContinuousClock.now + .seconds(6)
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...120)))
                kills += try await database.value(Int.self, """
                    SELECT count(*)::int FROM (
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = current_database()
                           AND (application_name LIKE 'reimburse-worker-%' OR application_name LIKE 'reimburse-listener #%')
                         ORDER BY random() LIMIT 1) k
                    """) ?? 0
            }
            try await eventually("every job is finished", timeout: .seconds(60), every: .milliseconds(100)) {
                try await database.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed', 'cancelled')
                    """) == 36
            }
            for daemon in daemons { try await daemon.stop() }
            let summary = try await database.withConnection { connection in
                (
                    succeeded: try connection.queryValue(Int.self,
                        "SELECT count(*)::int FROM reimbursement_job WHERE state = 'succeeded'")!,
                    outcomes: try connection.query("""
                        SELECT coalesce(outcome, '-') || '=' || count(*) FROM reimbursement_job_attempt GROUP BY outcome ORDER BY 1
                        """) { try $0.decode(String.self, at: 0) },
                    checks: try companies.map { try BulkLedger.check($0, on: connection) }
                )
            }
            print("chaos: \(kills) sessions killed; \(summary.succeeded)/36 jobs succeeded; attempts "
                  + summary.outcomes.joined(separator: ", "))
            #expect(summary.succeeded == 36)
            #expect(kills > 10)
            for (company, check) in zip(companies, summary.checks) {
                #expect(check.isExactlyOnce, "\(company): \(check)")
                #expect(check.reimbursements == 120, "\(company): \(check)")
            }
        }

        /// The database restarts twice (fast, then immediate) while jobs run: the daemon
        /// reconnects by itself and finishes every job, nothing posted twice.
        @Test func databaseRestartsMidRun() async throws {
            let control = DedicatedThread(name: "restart-cluster")
            defer { control.shutdown() }
            let cluster = try await control.run {
                try LocalPostgresCluster.start(
                    settings: .init(parameters: ["fsync": "off", "full_page_writes": "off", "max_connections": "50"]),
                    prefix: "reimburse-daemon-restart")
            }
            defer { cluster.destroy() }
            let conninfo = cluster.conninfo()
            let sql = PostgresConnectionThread(conninfo: conninfo, applicationName: "reimburse-tests", name: "restart-sql")
            let companies = ["R1", "R2", "R3"]
            try await sql.withConnection { connection in
                _ = try SchemaMigrator(directory: TestServer.sqlDirectory).migrate(connection)
                for company in companies { try BulkLedger.company(company, customers: 700, on: connection) }
            }
            let daemon = Daemon.start(conninfo, instance: "restarts", workers: 2, chunkSize: 10)
            let jobs = try await sql.withConnection { connection in
                try (companies + companies).map { try insertJob($0, on: connection) }
            }
            let progress: @Sendable () async throws -> Int = {
                try await sql.value(Int.self, "SELECT sum(customers_done)::int FROM reimbursement_job") ?? 0
            }
            try await eventually("the jobs are under way") { try await progress() >= 200 }
            for mode in ["fast", "immediate"] {
                let before = try await progress()
                let started = ContinuousClock.now
                try await control.run { try cluster.restart(mode: mode) }
                print("database restarted (\(mode)) at \(before) customers done, in \(ContinuousClock.now - started)")
                try await eventually("work goes on after the \(mode) restart", timeout: .seconds(30), tolerateErrors: true) {
                    try await progress() >= before + 200
                }
            }
            try await eventually("every job is finished", timeout: .seconds(60), every: .milliseconds(100), tolerateErrors: true) {
                try await sql.value(Int.self, """
                    SELECT count(*)::int FROM reimbursement_job WHERE state IN ('succeeded', 'failed', 'cancelled')
                    """) == jobs.count
            }
            try await daemon.stop()
            let summary = try await sql.withConnection { connection in
                (
                    states: try connection.query("SELECT id, state, attempts FROM reimbursement_job ORDER BY id") {
                        "\(try $0.decode(Int64.self, at: 0)):\(try $0.decode(String.self, at: 1))/\(try $0.decode(Int.self, at: 2))"
                    },
                    checks: try companies.map { try BulkLedger.check($0, on: connection) }
                )
            }
            await sql.close()
            print("after two restarts: jobs " + summary.states.joined(separator: ", "))
            for id in jobs {
                #expect(summary.states.contains { $0.hasPrefix("\(id):succeeded") }, "job \(id): \(summary.states)")
            }
            for (company, check) in zip(companies, summary.checks) {
                #expect(check.isExactlyOnce, "\(company): \(check)")
                #expect(check.reimbursements == 700)
            }
        }
    }
}
