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
            withKnownIssue("the heartbeat reads pg_stat_activity.state, which is 'disabled' without track_activities") {
                #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
                #expect(attempts.map(\.outcome) == ["succeeded"], "\(attempts)")
            }
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
            withKnownIssue("JobWorker hands the heartbeat PQbackendPID, which a pooler makes up") {
                #expect(row.state == "succeeded" && row.attempts == 1,
                        "\(row); libpq's backend pid \(pids.0), the server session's \(pids.1)")
                #expect(attempts.map(\.outcome) == ["succeeded"], "\(attempts)")
            }
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
            withKnownIssue("the posting date is `SELECT current_date` in the session's TimeZone, which the role sets") {
                #expect(dates?.0 == dates?.1, "role TimeZone \(zone): posted on \(dates?.0 ?? "-"), UTC date \(dates?.1 ?? "-")")
            }
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
            withKnownIssue("DaemonSession does not set idle_session_timeout") {
                #expect(setting == "0", "idle_session_timeout in a daemon session: \(setting ?? "-")")
                #expect(complaints.isEmpty, "\(complaints.count) warnings: \(complaints.prefix(3))")
            }
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
            withKnownIssue("PoolerProbe compares pids of two connections; FIFO reuse of two servers keeps them apart") {
                #expect(outcome.hasPrefix("refused"), "\(outcome)")
            }
        }
    }
}
