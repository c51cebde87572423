import Foundation
import LocalPostgres
import Postgres
@testable import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// An adversarial review of the daemon's liveness and session claims (issue 12): settings a
    /// DBA puts on the daemon's role, and a pooler configured the way some sites run it. Each
    /// test states the input, and a break is wrapped in `withKnownIssue` until it is fixed.
    @Suite("Attacks on liveness and session settings")
    struct Attacks {
        static func alterRole(_ conninfo: String, _ clause: String, on database: TestDatabase) async throws {
            let name = conninfo.split(separator: "user=").last.map(String.init) ?? conninfo
            try await database.withConnection { connection in
                _ = try connection.execute("ALTER ROLE \(try connection.quoteIdentifier(name)) \(clause)")
            }
        }

        /// A DBA turns activity tracking off for the daemon's login (`ALTER ROLE ... SET
        /// track_activities = off`, or the same in postgresql.conf to save overhead; only a
        /// superuser can, so the daemon cannot set it back). pg_stat_activity then shows the
        /// worker's session with `state = 'disabled'` and no `state_change`, so the heartbeat's
        /// "session busy" test never holds. A chunk longer than the lease (a trigger sleeping
        /// 30 ms per reimbursement, 150 customers in one chunk, a 2 s lease) must still keep its
        /// lease and finish on its first attempt, as it does with tracking on.
        @Test func aLongChunkKeepsItsLeaseWithActivityTrackingOff() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { connection in
                try BulkLedger.company("TRACK", customers: 150, on: connection)
                try connection.executeScript("""
                    CREATE FUNCTION slow_track_reimbursement() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$;
                    CREATE TRIGGER slow_track_reimbursement BEFORE INSERT ON reimbursement
                        FOR EACH ROW EXECUTE FUNCTION slow_track_reimbursement();
                    """)
            }
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            try await Self.alterRole(service, "SET track_activities = off", on: database)
            let job = try await database.withConnection { try insertJob("TRACK", maxAttempts: 2, on: $0) }
            let daemon = Daemon.start(service, instance: "untracked", workers: 1, chunkSize: 150, lease: .seconds(2))
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(60))
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("TRACK", on: $0) }
            // Nothing is posted twice either way.
            #expect(check.creditsSettledTwice == 0 && check.customersReimbursedTwice == 0, "\(check)")
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            #expect(attempts.map(\.outcome) == ["succeeded"], "\(attempts)")
        }

        /// The same long chunk behind PgBouncer in session mode, which the daemon says it works
        /// behind. The heartbeat judges "busy" by the pid the worker gave it, taken from libpq's
        /// `PQbackendPID`: behind a pooler that is the pooler's made-up cancel key, not the
        /// server session's pid, so no busy session is ever found and the lease of a chunk
        /// longer than a lease lapses. The job must finish on its first attempt.
        @Test func aLongChunkKeepsItsLeaseBehindSessionPooling() async throws {
            let database = try await TestServer.database()
            let cluster = try #require(database.server.cluster, "the pooler test needs the private test cluster")
            try await database.withConnection { connection in
                try BulkLedger.company("PGBL", customers: 150, on: connection)
                try connection.executeScript("""
                    CREATE FUNCTION slow_pooled_reimbursement() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$;
                    CREATE TRIGGER slow_pooled_reimbursement BEFORE INSERT ON reimbursement
                        FOR EACH ROW EXECUTE FUNCTION slow_pooled_reimbursement();
                    """)
            }
            let bouncer = try LocalPgBouncer.start(in: cluster, poolMode: "session")
            defer { bouncer.stop() }
            let conninfo = bouncer.conninfo(database: database.name)
            let pids = try await database.withNewConnection { _ in
                let connection = try PostgresConnection(conninfo: conninfo)
                return (connection.backendPID, try connection.queryValue(Int32.self, "SELECT pg_backend_pid()") ?? -1)
            }
            let job = try await database.withConnection { try insertJob("PGBL", maxAttempts: 2, on: $0) }
            let daemon = Daemon.start(conninfo, instance: "pooled-slow", workers: 1, chunkSize: 150, lease: .seconds(2))
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(60))
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("PGBL", on: $0) }
            #expect(check.creditsSettledTwice == 0 && check.customersReimbursedTwice == 0, "\(check)")
            #expect(row.state == "succeeded" && row.attempts == 1,
                    "\(row); libpq's backend pid \(pids.0), the server session's \(pids.1)")
            #expect(attempts.map(\.outcome) == ["succeeded"], "\(attempts)")
        }

        /// `ALTER ROLE daemon SET TimeZone` (a DBA in UTC-12 or UTC+14, chosen so that the
        /// session's date differs from the UTC date at the time the test runs). A job without a
        /// `posting_date` posts on the date it runs: that date must not depend on a setting of the
        /// login (the contract: `company.time_zone`, default `UTC`, decides "today" whatever the
        /// time zone of the session).
        @Test func aRoleTimeZoneDoesNotMoveThePostingDate() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("TZONE", customers: 3, on: $0) }
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            let utcHour = try #require(try await database.value(
                Int.self, "SELECT extract(hour FROM now() AT TIME ZONE 'UTC')::int"))
            // Etc/GMT+12 is UTC-12, Etc/GMT-14 is UTC+14 (POSIX signs).
            let zone = utcHour < 12 ? "Etc/GMT+12" : "Etc/GMT-14"
            try await Self.alterRole(service, "SET TimeZone = '\(zone)'", on: database)
            let job = try await database.withConnection { try insertJob("TZONE", on: $0) }
            let daemon = Daemon.start(service, instance: "tzone", workers: 1)
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            try await daemon.stop()
            #expect(row.state == "succeeded", "\(row)")
            let dates = try await database.withConnection { connection in
                try connection.query("""
                    SELECT (SELECT string_agg(DISTINCT posting_date::text, ',') FROM reimbursement WHERE company_id = 'TZONE'),
                           (now() AT TIME ZONE 'UTC')::date::text
                    """) { row in (try row.decode(String?.self, at: 0), try row.decode(String.self, at: 1)) }.first
            }
            #expect(dates?.0 == dates?.1, "role TimeZone \(zone): posted on \(dates?.0 ?? "-"), UTC date \(dates?.1 ?? "-")")
        }

        /// `ALTER ROLE daemon SET idle_session_timeout = '300ms'` (PostgreSQL 14+, settable by
        /// any login, so the daemon can override it like statement_timeout). The listener and
        /// idle workers would be ended every 300 ms. The daemon's sessions must carry 0, and an
        /// idle daemon must log no warnings and still run a job inserted later on its first
        /// attempt.
        @Test func aRoleIdleSessionTimeoutDoesNotEndTheDaemonsSessions() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("IDLE", customers: 5, on: $0) }
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            try await Self.alterRole(service, "SET idle_session_timeout = '300ms'", on: database)
            var configuration = Daemon.configuration(service, instance: "idle-timeout", workers: 1, poll: .seconds(2))
            configuration.conditionRetryInterval = .milliseconds(400)
            let probe = configuration
            let setting = try await database.withNewConnection { _ in
                let session = try DaemonSession.open(probe, name: "reimburse-worker-0")
                return try session.queryValue(String.self, "SELECT current_setting('idle_session_timeout')")
            }
            let log = CapturedLog()
            let daemon = Daemon.start(configuration, log: log)
            try await Task.sleep(for: .seconds(3))
            let job = try await database.withConnection { try insertJob("IDLE", on: $0) }
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            try await daemon.stop()
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            let complaints = log.all.filter { $0.level >= .warning }
            #expect(setting == "0", "idle_session_timeout in a daemon session: \(setting ?? "-")")
            #expect(complaints.isEmpty, "\(complaints.count) warnings: \(complaints.prefix(3))")
        }

        /// PgBouncer in transaction mode with `server_round_robin = 1` (FIFO reuse of server
        /// connections, a documented setting for spreading load) and two warm server
        /// connections in the pool. The probe's two connections then alternate between the two
        /// servers, each always seeing "its own" pid: the pooler passes for session pooling and
        /// `serve` starts behind a transaction pooler, the setup the issue says must be refused.
        @Test func aRoundRobinTransactionPoolerIsRefused() async throws {
            let database = try await TestServer.database()
            let cluster = try #require(database.server.cluster, "the pooler test needs the private test cluster")
            let bouncer = try LocalPgBouncer.start(
                in: cluster, poolMode: "transaction",
                settings: ["server_round_robin": "1", "default_pool_size": "2"])
            defer { bouncer.stop() }
            let conninfo = bouncer.conninfo(database: database.name)
            let outcome = try await database.withNewConnection { _ -> String in
                // Warm the pool: two transactions at once leave two idle server connections.
                let a = try PostgresConnection(conninfo: conninfo, applicationName: "warm-a")
                let b = try PostgresConnection(conninfo: conninfo, applicationName: "warm-b")
                try a.execute("BEGIN")
                try a.execute("SELECT 1")
                try b.execute("BEGIN")
                try b.execute("SELECT 1")
                try a.execute("COMMIT")
                try b.execute("COMMIT")
                do {
                    try DaemonConnectionCheck.requireSessionPerConnection(conninfo: conninfo)
                    return "accepted"
                } catch let error as DaemonConnectionError {
                    return "refused: \(error)"
                }
            }
            #expect(outcome.hasPrefix("refused"), "\(outcome)")
        }
            /// Held. PgBouncer in session mode with an empty `server_reset_query`: a daemon's worker
        /// claims a job (4 s lease) and its client connection goes away between chunks, while
        /// the server session lives on in the pool still carrying the holder's application name.
        /// The job is not lost: another daemon behind the same pooler takes it over (at worst
        /// when the lease runs out, then the pooled session is ended) and posts it exactly once.
        @Test func aDeadHolderBehindASessionPoolWithoutResetIsRescued() async throws {
            let database = try await TestServer.database()
            let cluster = try #require(database.server.cluster, "the pooler test needs the private test cluster")
            try await database.withConnection { try BulkLedger.company("NORESET", customers: 40, on: $0) }
            let job = try await database.withConnection { try insertJob("NORESET", on: $0) }
            let bouncer = try LocalPgBouncer.start(in: cluster, poolMode: "session", settings: ["server_reset_query": ""])
            defer { bouncer.stop() }
            let conninfo = bouncer.conninfo(database: database.name)
            let configuration = Daemon.configuration(conninfo, instance: "dead-pooled")
            let claimed = try await database.withNewConnection { _ -> Int64? in
                let worker = try DaemonSession.open(configuration, name: "reimburse-worker-0")
                return try JobQueue.claim(owner: "dead-pooled:w0", leaseDuration: .seconds(4), on: worker)?.jobID
                // The client goes away here; the server session stays in the pool.
            }
            #expect(claimed == job)
            let pooledHolder = try await database.value(Bool.self, """
                SELECT EXISTS (SELECT 1 FROM reimbursement_job j JOIN pg_stat_activity a
                                 ON a.pid = j.holder_pid AND a.application_name = j.holder_session
                                WHERE j.id = $1)
                """, [job])
            let started = ContinuousClock.now
            let daemon = Daemon.start(conninfo, instance: "pooled-rescuer", workers: 1, lease: .seconds(4))
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(30))
            let took = ContinuousClock.now - started
            try await daemon.stop()
            let attempts = try await database.attempts(job)
            let check = try await database.withConnection { try BulkLedger.check("NORESET", on: $0) }
            let verified = try await database.withConnection { try LedgerVerifier(connection: $0).verify() }
            print("dead holder behind a session pool without reset: pooled holder alive \(pooledHolder ?? false), "
                  + "rescued and done in \(took), attempts \(attempts.map { $0.outcome ?? "-" })")
            #expect(row.state == "succeeded" && row.attempts == 2, "\(row)")
            #expect(attempts.first?.outcome == "lost", "\(attempts)")
            #expect(check.isExactlyOnce, "\(check)")
            #expect(verified.passed, "\(verified.violations)")
        }

        /// Held. A reporting login floods the queue channel: 20,000 distinct notifications in one
        /// transaction, three times, while a job is enqueued. The daemon claims the job at once
        /// (notifications are only hints, at most one look per 20 ms) and its CPU stays bounded.
        @Test func aNotificationStormCostsLittleAndDelaysNothing() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("STORM", customers: 5, on: $0) }
            let reporter = try await database.createLogin(
                uniqueLogin("rpt"), memberOf: "reimburse_reporting", companies: ["STORM"])
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            let hostile = HeldSession(name: "notify-storm")
            try await hostile.open(reporter)
            let daemon = Daemon.start(service, instance: "storm", workers: 1, poll: .seconds(30))
            try await Task.sleep(for: .milliseconds(500))
            let cpuBefore = Self.processCPUSeconds()
            let wallBefore = ContinuousClock.now
            for round in 0..<3 {
                try await hostile.run("""
                    SELECT count(pg_notify('reimbursement_job', 'inserted ' || $1 || ' ' || g))::text
                      FROM generate_series(1, 20000) g
                    """, [round])
            }
            let job = try await database.withConnection { try insertJob("STORM", on: $0) }
            let enqueued = ContinuousClock.now
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(20))
            let pickup = ContinuousClock.now - enqueued
            try await Task.sleep(for: .seconds(1))
            let cpu = Self.processCPUSeconds() - cpuBefore
            let wall = ContinuousClock.now - wallBefore
            try await daemon.stop()
            await hostile.close()
            let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
            print("notification storm: job \(row), picked up and done in \(pickup), CPU \(cpu) s in \(wall)")
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            #expect(pickup < .seconds(5), "a storm of spoofed notifications delayed the job: \(pickup)")
            #expect(cpu < wallSeconds * 0.8, "CPU \(cpu) s in \(wall) while flooded")
        }

        static func processCPUSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
    }
}
