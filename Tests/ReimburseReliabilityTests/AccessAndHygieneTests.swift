import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// A connection kept open across awaits, used only on its own thread.
private final class HeldSession: @unchecked Sendable {
    private let thread: DedicatedThread
    private var connection: PostgresConnection?

    init(name: String) { thread = DedicatedThread(name: name) }

    func open(_ conninfo: String) async throws {
        try await thread.run { [self] in
            connection = try PostgresConnection(conninfo: conninfo, applicationName: "reliability-holder")
        }
    }

    func run(_ sql: String) async throws {
        try await thread.run { [self] in _ = try connection!.execute(sql) }
    }

    func close() async throws {
        try await thread.run { [self] in connection = nil }
        thread.shutdown()
    }
}

private func uniqueRole(_ prefix: String) -> String {
    "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10))"
}

@Suite("Access through the command line, and long transactions", .serialized)
struct AccessAndHygieneTests {
    /// A reporting and an enqueue login, each granted company A, and a daemon login that is only
    /// a member of reimburse_service, all driving the real binary.
    @Test func loginsSeeAndDoOnlyWhatTheirCompanyAndRoleAllow() async throws {
        let database = try await TestServer.database()
        let reporter = uniqueRole("rel_rpt")
        let enqueuer = uniqueRole("rel_enq")
        let daemon = uniqueRole("rel_svc")
        try await database.withConnection { c in
            for company in ["A", "B"] {
                try LedgerFixture.company(company, on: c)
                for k in 1...3 {
                    try LedgerFixture.customer(company, "\(company)\(k)", on: c)
                    try LedgerFixture.transaction(company, "\(company)\(k)", amount: "-\(10 * k)", on: c)
                }
            }
            try c.execute("CREATE ROLE \(reporter) LOGIN IN ROLE reimburse_reporting")
            try c.execute("CREATE ROLE \(enqueuer) LOGIN IN ROLE reimburse_enqueue")
            try c.execute("CREATE ROLE \(daemon) LOGIN IN ROLE reimburse_service")
            try c.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'A'), ($2, 'A')", reporter, enqueuer)
            _ = try LedgerFixture.job("B", on: c)
        }
        let asReporter = conninfo(database.conninfo, user: reporter)
        let asEnqueuer = conninfo(database.conninfo, user: enqueuer)
        let asDaemon = conninfo(database.conninfo, user: daemon)

        // The enqueue login: its company yes, another company no, nothing as the reporting login.
        let mine = try await runReimburse(["enqueue", "--company", "A", "--posting-date", "2026-11-25"], databaseURL: asEnqueuer)
        #expect(mine.code == 0, "\(mine.output)")
        let theirs = try await runReimburse(["enqueue", "--company", "B"], databaseURL: asEnqueuer)
        #expect(theirs.code != 0 && theirs.output.contains("B"), "\(theirs.output)")
        #expect(!theirs.output.contains("Fatal") && theirs.output.split(separator: "\n").count <= 2, "\(theirs.output)")
        let readerEnqueue = try await runReimburse(["enqueue", "--company", "A"], databaseURL: asReporter)
        #expect(readerEnqueue.code != 0 && readerEnqueue.output.contains("permission denied"), "\(readerEnqueue.output)")

        // The daemon as a login that is only a member of reimburse_service: no COPY into
        // row-secured tables, so it stages; every company's job runs.
        let service = try await runReimburse(
            ["serve", "--exit-when-idle", "--workers", "2", "--chunk-size", "1"], databaseURL: asDaemon)
        #expect(service.code == 0, "\(service.output)")
        try await database.withConnection { c in
            #expect(try c.strings("SELECT company_id || ' ' || state FROM reimbursement_job ORDER BY company_id")
                    == ["A succeeded", "B succeeded"])
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM reimbursement") == 6)
            try Ledgers.expectVerified(on: c)
        }

        // The reporting login through report, status and verify: company A only.
        let report = try await runReimburse(["report", "--format", "csv"], databaseURL: asReporter)
        #expect(report.code == 0, "\(report.output)")
        let reportLines = report.output.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("company_id") && !$0.isEmpty }
        #expect(reportLines.count == 3 && reportLines.allSatisfy { $0.hasPrefix("A,") }, "\(report.output)")
        let other = try await runReimburse(["report", "--company", "B", "--format", "csv"], databaseURL: asReporter)
        #expect(!other.output.contains("B1") && !other.output.contains("B2"), "\(other.output)")
        let status = try await runReimburse(["status"], databaseURL: asReporter)
        #expect(status.code == 0 && status.output.contains("A") && !status.output.contains("\nB "), "\(status.output)")
        let verify = try await runReimburse(["verify"], databaseURL: asReporter)
        figure("access: reporting login's verify: \(verify.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(verify.code == 0 && verify.output.contains("checks passed"), "\(verify.output)")
        let verifyOther = try await runReimburse(["verify", "--company", "B"], databaseURL: asReporter)
        #expect(verifyOther.code == 65, "\(verifyOther.output)")

        // Through SQL: what each reader can see and do in every table and view.
        let relations = try await database.withConnection { c in
            try c.strings("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v') AND c.relname <> 'schema_migration'
                   AND c.relname NOT LIKE '%migration%'
                 ORDER BY 1
                """)
        }
        for login in [reporter, enqueuer] {
            let problems = try await Self.probe(database: database, login: login, relations: relations,
                                                mayEnqueue: login == enqueuer)
            #expect(problems.isEmpty, "\(login): \(problems.joined(separator: "\n"))")
        }
        // Nothing changed by the refused writes, and the ledger still verifies.
        try await database.withConnection { c in
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM reimbursement") == 6)
            try Ledgers.expectVerified(on: c)
            for role in [reporter, enqueuer, daemon] {
                try c.execute("DELETE FROM company_access WHERE role_name = $1", role)
                try c.execute("DROP ROLE \(role)")
            }
        }
    }

    /// Every relation: only company A's rows are visible; every write but the enqueue role's two
    /// (INSERT of user columns, UPDATE of cancel_requested, of company A) is refused.
    private static func probe(
        database: TestDatabase, login: String, relations: [String], mayEnqueue: Bool
    ) async throws -> [String] {
        let conninfo = conninfo(database.conninfo, user: login)
        let thread = DedicatedThread(name: "probe-\(login)")
        defer { thread.shutdown() }
        return try await thread.run {
            let c = try PostgresConnection(conninfo: conninfo, applicationName: "reliability-probe")
            var problems: [String] = []
            for relation in relations {
                let quoted = try c.quoteIdentifier(relation)
                var columns: [String] = []
                do {
                    columns = try c.execute("SELECT * FROM \(quoted) LIMIT 0").columnNames
                    if columns.contains("company_id") {
                        let foreign = try c.queryValue(
                            Int.self, "SELECT count(*) FROM \(quoted) WHERE company_id IS DISTINCT FROM 'A'") ?? 0
                        if foreign > 0 { problems.append("\(relation): sees \(foreign) rows of other companies") }
                    } else if relation == "company" {
                        let ids = try c.strings("SELECT id FROM company ORDER BY id")
                        if ids != ["A"] { problems.append("company: sees \(ids)") }
                    }
                } catch let error as PostgresError {
                    if relation != "number_sequence" && relation != "reimbursement_company_queue" {
                        problems.append("\(relation): cannot read (\(error.message))")
                    }
                }
                // Writes: each must be refused (nothing visible of B, nothing writable of A).
                var attempts = [
                    ("DELETE", "DELETE FROM \(quoted)"),
                    ("TRUNCATE", "TRUNCATE \(quoted)"),
                ]
                if columns.contains("company_id") {
                    attempts.append(("UPDATE", "UPDATE \(quoted) SET company_id = company_id"))
                    attempts.append(("INSERT", "INSERT INTO \(quoted) (company_id) VALUES ('A')"))
                }
                for (verb, sql) in attempts {
                    if mayEnqueue && relation == "reimbursement_job" && verb == "INSERT" { continue }
                    do {
                        let result = try c.execute(sql)
                        if result.affectedRows > 0 || verb == "TRUNCATE" {
                            problems.append("\(relation): \(verb) succeeded (\(result.affectedRows) rows)")
                        }
                    } catch let error as PostgresError {
                        let refused = error.sqlState == "42501" || error.sqlState == "42809"
                            || error.message.contains("row-level security") || error.message.contains("cannot")
                        if !refused { problems.append("\(relation): \(verb) failed oddly: \(error.message)") }
                    }
                }
            }
            if mayEnqueue {
                // Its own company: enqueue and cancel; another company: invisible, refused.
                let id = try c.queryValue(Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('A') RETURNING id")!
                let cancelled = try c.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE id = $1", id)
                if cancelled.affectedRows != 1 { problems.append("cannot cancel its own queued job") }
                let otherCancel = try c.execute("UPDATE reimbursement_job SET cancel_requested = true WHERE company_id = 'B'")
                if otherCancel.affectedRows != 0 { problems.append("cancelled a job of company B") }
                do {
                    let bJob = 1 as Int64
                    _ = try c.execute(
                        "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)", bJob)
                    problems.append("approved a job it cannot see")
                } catch let error as PostgresError {
                    if error.message.contains("company B") { problems.append("approval error leaks: \(error.message)") }
                }
                for spoof in ["requested_by", "state", "result", "lease_token"] {
                    do {
                        _ = try c.execute("INSERT INTO reimbursement_job (company_id, \(spoof)) VALUES ('A', NULL)")
                        problems.append("could set \(spoof) on insert")
                    } catch let error as PostgresError where error.sqlState == "42501" {}
                }
            }
            return problems
        }
    }

    /// A session holding a snapshot open and another holding row locks of one company while 2
    /// daemons run 8 other companies: those finish, with short chunk transactions; the locked
    /// company's job waits (lock_timeout, retry) and finishes once the locks go.
    @Test func longTransactionsElsewhereDoNotStallTheQueue() async throws {
        let database = try await TestServer.database()
        let companies = (1...8).map { "L\($0)" }
        try await database.withConnection { c in
            for company in companies + ["HELD"] {
                try Ledgers.company(company, customers: 120, on: c)
                try Ledgers.jobs(company, on: c)
            }
        }
        let snapshot = HeldSession(name: "holder-snapshot")
        let locker = HeldSession(name: "holder-locks")
        try await snapshot.open(database.conninfo)
        try await locker.open(database.conninfo)
        try await snapshot.run("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try await snapshot.run("SELECT * FROM customer_transaction LIMIT 1")
        try await locker.run("BEGIN")
        try await locker.run("SELECT * FROM customer WHERE company_id = 'HELD' FOR UPDATE")
        let started = ContinuousClock.now
        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 5)
        try daemons.start(count: 2)
        var longestChunk = 0.0
        try await waitUntil("the other companies' jobs", timeout: .seconds(180), interval: .milliseconds(50)) {
            let (age, finished) = try await database.withConnection { c -> (Double, Bool) in
                // The longest open transaction of a worker that is not waiting for a lock.
                let age = try c.queryValue(Double.self, """
                    SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8
                      FROM pg_stat_activity
                     WHERE application_name LIKE 'reimburse-worker-%' AND xact_start IS NOT NULL
                       AND coalesce(wait_event_type, '') <> 'Lock'
                    """) ?? 0
                let open = try c.queryValue(Int.self, """
                    SELECT count(*) FROM reimbursement_job WHERE company_id <> 'HELD' AND state <> 'succeeded'
                    """) ?? 0
                return (age, open == 0)
            }
            longestChunk = max(longestChunk, age)
            return finished
        }
        let longest = longestChunk
        let othersDone = ContinuousClock.now - started
        let heldState = try await database.withConnection { c in
            try c.strings("SELECT state FROM reimbursement_job WHERE company_id = 'HELD' ORDER BY id")
        }
        #expect(heldState.allSatisfy { $0 != "succeeded" }, "the locked company's jobs cannot have finished: \(heldState)")
        // A bound for "short, not held open behind the long transactions" (they last the whole
        // test), not a speed goal: a chunk on a loaded 2-core machine may take a few seconds.
        #expect(longest < 10, "a chunk transaction stayed open \(longest)s")
        try await locker.run("ROLLBACK")
        try await snapshot.run("ROLLBACK")
        try await locker.close()
        try await snapshot.close()
        try await waitUntil("the locked company's jobs", timeout: .seconds(120), interval: .milliseconds(200)) {
            try await database.withConnection { try Ledgers.unfinishedJobs(on: $0) } == 0
        }
        try await daemons.stopAll()
        try await database.withConnection { c in
            #expect(try c.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job WHERE state <> 'succeeded'") == 0)
            let retries = try c.queryValue(
                Int.self, "SELECT count(*) FROM reimbursement_job_attempt WHERE company_id = 'HELD' AND outcome = 'retry'") ?? 0
            try Ledgers.expectVerified(on: c)
            figure("long transactions: 8 companies done in \(othersDone) beside an open snapshot and row locks; "
                   + "longest chunk transaction \(String(format: "%.2f", longest))s; locked company retried \(retries)x, "
                   + "then finished in \(ContinuousClock.now - started)")
        }
    }
}
