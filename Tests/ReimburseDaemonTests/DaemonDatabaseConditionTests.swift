import Foundation
import Postgres
@testable import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

extension DaemonTests {
    /// Conditions of the database, not of any job: a read-only login, a connection limit, a
    /// DBA's settings on the daemon's role. Jobs wait (attempts unchanged), the log names the
    /// condition once per retry interval, and the daemon carries on by itself afterwards.
    @Suite("Database conditions")
    struct DatabaseConditions {
        static let interval: Duration = .milliseconds(400)

        static func configuration(_ conninfo: String, _ instance: String) -> DaemonConfiguration {
            var configuration = Daemon.configuration(conninfo, instance: instance, workers: 2, lease: .seconds(30))
            configuration.conditionRetryInterval = interval
            return configuration
        }

        static func alterRole(_ login: String, _ clause: String, on database: TestDatabase) async throws {
            let name = login.split(separator: "user=").last.map(String.init) ?? login
            try await database.withConnection { connection in
                _ = try connection.execute("ALTER ROLE \(try connection.quoteIdentifier(name)) \(clause)")
            }
        }

        /// Waits `duration` and checks the job did not move and the condition was logged about
        /// once per retry interval (three threads meet it; one line each interval).
        static func expectWaiting(
            _ job: Int64, for duration: Duration, condition: String, log: CapturedLog, database: TestDatabase,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let before = log.matching("database condition: \(condition)").count
            try await Task.sleep(for: duration)
            let row = try await database.job(job)
            #expect(row.state == "queued" && row.attempts == 0, "\(row)", sourceLocation: sourceLocation)
            let lines = log.matching("database condition: \(condition)").count - before
            let most = Int(duration / interval) + 2
            #expect(lines >= 1 && lines <= most,
                    "\(lines) lines naming \(condition) in \(duration) (at most \(most)): \(log.all)",
                    sourceLocation: sourceLocation)
        }

        /// The daemon's login gets default_transaction_read_only (SQLSTATE 25006 on every write,
        /// as on a demoted primary): nothing is claimed. Once the DBA resets it, the daemon's new
        /// sessions can write and the job runs, with its first attempt.
        @Test func aReadOnlyLoginWaitsAndResumesByItself() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("RO", customers: 25, on: $0) }
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            try await Self.alterRole(service, "SET default_transaction_read_only = on", on: database)
            let job = try await database.withConnection { try insertJob("RO", on: $0) }
            let log = CapturedLog()
            let daemon = Daemon.start(Self.configuration(service, "read-only"), log: log)
            try await Self.expectWaiting(job, for: .seconds(3), condition: "read-only", log: log, database: database)
            #expect(log.matching("database unavailable").isEmpty, "\(log.matching("database unavailable"))")
            try await Self.alterRole(service, "RESET default_transaction_read_only", on: database)
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(15))
            try await daemon.stop()
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            #expect(!log.matching("database condition over (read-only)").isEmpty, "\(log.all)")
            let check = try await database.withConnection { try BulkLedger.check("RO", on: $0) }
            #expect(check.isExactlyOnce, "\(check)")
        }

        /// The login at its CONNECTION LIMIT (53300): the daemon waits, says so, and connects as
        /// soon as the limit allows.
        @Test func aLoginAtItsConnectionLimitWaitsAndResumes() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("LIM", customers: 25, on: $0) }
            let service = try await database.createLogin(uniqueLogin("svc"), memberOf: "reimburse_service")
            try await Self.alterRole(service, "CONNECTION LIMIT 0", on: database)
            let job = try await database.withConnection { try insertJob("LIM", on: $0) }
            let log = CapturedLog()
            let daemon = Daemon.start(Self.configuration(service, "limited"), log: log)
            try await Self.expectWaiting(job, for: .seconds(3), condition: "connection limit", log: log, database: database)
            try await Self.alterRole(service, "CONNECTION LIMIT -1", on: database)
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(15))
            try await daemon.stop()
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row)")
            let check = try await database.withConnection { try BulkLedger.check("LIM", on: $0) }
            #expect(check.isExactlyOnce, "\(check)")
        }

        /// A DBA's settings on the daemon's role: statement_timeout 1 s, idle-in-transaction
        /// 200 ms, lock_timeout 100 ms, and a search_path that puts another schema first, with
        /// same-named tables and a same-named function there. The daemon's sessions use its own
        /// values; a chunk that waits 1.5 s for a row lock finishes with its first attempt, in
        /// the real tables.
        @Test func roleSettingsDoNotChangeTheDaemon() async throws {
            let database = try await TestServer.database()
            try await database.withConnection { try BulkLedger.company("DBA", customers: 30, on: $0) }
            let login = uniqueLogin("svc")
            let service = try await database.createLogin(login, memberOf: "reimburse_service")
            try await database.withConnection { connection in
                let role = try connection.quoteIdentifier(login)
                try connection.executeScript("""
                    CREATE SCHEMA shadow;
                    CREATE TABLE shadow.reimbursement_job (LIKE public.reimbursement_job INCLUDING ALL);
                    CREATE TABLE shadow.reimbursement_company_queue (LIKE public.reimbursement_company_queue INCLUDING ALL);
                    INSERT INTO shadow.reimbursement_company_queue (company_id) VALUES ('DBA');
                    CREATE FUNCTION shadow.pg_backend_pid() RETURNS int LANGUAGE sql AS 'SELECT 1';
                    CREATE FUNCTION shadow.set_config(text, text, boolean) RETURNS text LANGUAGE sql AS 'SELECT $2';
                    GRANT USAGE ON SCHEMA shadow TO \(role);
                    GRANT ALL ON ALL TABLES IN SCHEMA shadow TO \(role);
                    ALTER ROLE \(role) SET statement_timeout = '1s';
                    ALTER ROLE \(role) SET idle_in_transaction_session_timeout = '200ms';
                    ALTER ROLE \(role) SET lock_timeout = '100ms';
                    ALTER ROLE \(role) SET search_path = shadow, pg_catalog, public;
                    ALTER ROLE \(role) SET default_transaction_isolation = 'serializable';
                    """)
            }
            // What a daemon session has, whatever the role says.
            var configuration = Self.configuration(service, "dba-settings")
            let probeConfiguration = configuration
            let settings = try await database.withNewConnection { _ in
                let session = try DaemonSession.open(probeConfiguration, name: "reimburse-worker-0")
                return try session.query("""
                    SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout'),
                           current_setting('lock_timeout'), current_setting('search_path'),
                           current_setting('transaction_isolation'), to_regclass('reimbursement_job')::text
                    """) { row in try (0..<6).map { try row.decode(String.self, at: $0) } }.first ?? []
            }
            #expect(settings == ["0", "1min", "10s", "pg_catalog, \"public\"", "read committed", "reimbursement_job"],
                    "\(settings)")

            let job = try await database.withConnection { try insertJob("DBA", on: $0) }
            let blocker = HeldSession(name: "row-lock-holder")
            try await blocker.open(database.conninfo)
            try await blocker.run("BEGIN")
            try await blocker.run("SELECT account FROM customer WHERE company_id = 'DBA' AND account = 'C000001' FOR UPDATE")
            configuration.chunkSize = 50
            let log = CapturedLog()
            let daemon = Daemon.start(configuration, log: log)
            try await Task.sleep(for: .milliseconds(1500))
            try await blocker.run("COMMIT")
            let row = try await database.waitForJob(job, in: ["succeeded", "failed"], timeout: .seconds(20))
            try await daemon.stop()
            await blocker.close()
            #expect(row.state == "succeeded" && row.attempts == 1, "\(row); log: \(log.all)")
            let check = try await database.withConnection { try BulkLedger.check("DBA", on: $0) }
            #expect(check.isExactlyOnce, "\(check)")
            let shadowJobs = try await database.value(Int.self, "SELECT count(*)::int FROM shadow.reimbursement_job")
            #expect(shadowJobs == 0)
        }
    }
}
