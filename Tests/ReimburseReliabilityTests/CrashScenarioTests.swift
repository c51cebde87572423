import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The same data posted by one undisturbed daemon in a database of its own: what a disturbed
/// run must end with.
private func referenceTotals(companies: [String], customers: Int) async throws -> [String] {
    let loadStarted = ContinuousClock.now
    let database = try await TestServer.database()
    try await database.withConnection { connection in
        for company in companies {
            try Ledgers.company(company, customers: customers, on: connection)
            try Ledgers.jobs(company, on: connection)
        }
    }
    let runStarted = ContinuousClock.now
    defer { figure("reference run: loaded in \(runStarted - loadStarted), posted in \(ContinuousClock.now - runStarted)") }
    let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 200, exitWhenIdle: true)
    try daemons.start()
    try await daemons.waitAll()
    let exited = ContinuousClock.now - runStarted
    let span = try await database.withConnection { connection in
        try connection.queryValue(Double.self, """
            SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM reimbursement_job
            """) ?? 0
    }
    figure("reference run: jobs ran \(String(format: "%.1f", span))s, the daemon exited after \(exited)")
    if ProcessInfo.processInfo.environment["REIMBURSE_RELIABILITY_DEBUG"] != nil {
        print(daemons.processes[0].output)
    }
    return try await database.withConnection { connection in
        #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job WHERE state <> 'succeeded'") == 0)
        try Ledgers.expectVerified(on: connection)
        return try Ledgers.postedTotals(on: connection)
    }
}

/// Scenarios that crash things: SIGKILLed daemons, a restarted PostgreSQL, SIGTERM, many
/// daemons at once. Serialized: each one loads both cores by itself.
@Suite("Crashes, restarts and many daemons", .serialized)
struct CrashScenarioTests {
    /// Issue: 100 companies, ~20 kills. Here: 30 companies of 150 customers (about 375
    /// transactions each), 3 daemons of 2 workers, chunks of 5 customers, 20 SIGKILLs.
    @Test func killNineAtRandomMomentsLosesNothingAndPostsNothingTwice() async throws {
        let companies = (1...30).map { "K" + String(format: "%02d", $0) }
        let customers = 150
        let seed = UInt64(ProcessInfo.processInfo.environment["REIMBURSE_RELIABILITY_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64.max)
        figure("kill -9: seed \(seed) (REIMBURSE_RELIABILITY_SEED to repeat)")
        let expected = try await referenceTotals(companies: companies, customers: customers)

        let database = try await TestServer.database()
        try await database.withConnection { connection in
            for company in companies {
                try Ledgers.company(company, customers: customers, on: connection)
                // Up to 20 kills may hit the same job; attempts must not run out.
                try Ledgers.jobs(company, maxAttempts: 100, on: connection)
            }
        }
        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 5)
        try daemons.start(count: 3)
        var random = SplitMix(state: seed)
        let started = ContinuousClock.now
        var kills = 0
        var killsWhileRunning = 0
        while kills < 20 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...700, using: &random)))
            let running = try await database.withConnection { connection in
                try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job WHERE state = 'running'") ?? 0
            }
            let victim = Int.random(in: 0..<3, using: &random)
            try await daemons.killAndRestart(victim)
            kills += 1
            if running > 0 { killsWhileRunning += 1 }
        }
        let killPhase = ContinuousClock.now - started
        let (totalKills, hits) = (kills, killsWhileRunning)
        try await waitUntil("every job to end", timeout: .seconds(240), interval: .milliseconds(200)) {
            try await database.withConnection { try Ledgers.unfinishedJobs(on: $0) } == 0
        }
        try await daemons.stopAll()
        try await database.withConnection { connection in
            let states = try connection.query(
                "SELECT state || ' ' || count(*) FROM reimbursement_job GROUP BY state ORDER BY 1") {
                try $0.decode(String.self, at: 0)
            }
            #expect(states == ["succeeded \(companies.count * 2)"])
            try Ledgers.expectVerified(on: connection)
            let actual = try Ledgers.postedTotals(on: connection)
            #expect(actual == expected, "posted totals differ from the undisturbed run")
            let lost = try connection.queryValue(
                Int.self, "SELECT count(*) FROM reimbursement_job_attempt WHERE outcome = 'lost'") ?? 0
            let attempts = try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement_job_attempt") ?? 0
            let reimbursements = try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement") ?? 0
            #expect(lost >= 5, "the kills should have interrupted running jobs (\(lost) lost attempts)")
            let rescues = try connection.strings("""
                SELECT coalesce(error, '-') || ': ' || count(*) FROM reimbursement_job_attempt
                 WHERE outcome = 'lost' GROUP BY error ORDER BY 1
                """)
            let longestGap = try connection.queryValue(Double.self, """
                SELECT coalesce(max(extract(epoch FROM n.started_at - a.finished_at)), 0)::float8
                  FROM reimbursement_job_attempt a
                  JOIN reimbursement_job_attempt n
                    ON n.company_id = a.company_id AND n.job_id = a.job_id AND n.attempt = a.attempt + 1
                """) ?? 0
            let lastFinish = try connection.queryValue(Double.self, """
                SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM reimbursement_job
                """) ?? 0
            figure("kill -9: rescues \(rescues.joined(separator: ", ")); longest wait from rescue to the next attempt "
                   + "\(String(format: "%.1f", longestGap))s; first start to last finish \(String(format: "%.1f", lastFinish))s")
            figure("kill -9: \(totalKills) SIGKILLs (\(hits) while jobs ran) in \(killPhase); "
                   + "\(companies.count * 2) jobs, \(attempts) attempts, \(lost) lost and resumed; "
                   + "\(reimbursements) reimbursements, totals equal to the undisturbed run; total \(ContinuousClock.now - started)")
        }
    }

    /// A fast and an immediate restart of PostgreSQL under 2 daemons; they reconnect by
    /// themselves and finish. 10 companies of 150 customers.
    @Test func databaseRestartsMidRunAreRiddenOut() async throws {
        let companies = (1...10).map { "R" + String(format: "%02d", $0) }
        let customers = 150
        let expected = try await referenceTotals(companies: companies, customers: customers)
        let server = try await PrivateCluster.start()
        defer { server.destroy() }
        let migrate = try await runReimburse(
            ["migrate", "--sql-dir", TestServer.sqlDirectory], databaseURL: server.conninfo)
        #expect(migrate.code == 0, "\(migrate.output)")
        try await server.withConnection { connection in
            for company in companies {
                try Ledgers.company(company, customers: customers, on: connection)
                try Ledgers.jobs(company, maxAttempts: 20, on: connection)
            }
        }
        let daemons = Daemons(databaseURL: server.conninfo, workers: 2, chunkSize: 5)
        try daemons.start(count: 2)
        let total = companies.count * customers
        @Sendable func done() async throws -> Int {
            try await server.withConnection { connection in
                try connection.queryValue(Int.self, "SELECT coalesce(sum(customers_done), 0)::int FROM reimbursement_job") ?? 0
            }
        }
        try await waitUntil("a quarter done", timeout: .seconds(120)) { try await done() >= total / 4 }
        let beforeFast = try await done()
        try await server.restart(mode: "fast")
        try await waitUntil("progress after the fast restart", timeout: .seconds(120)) { try await done() > beforeFast + 50 }
        let beforeImmediate = try await done()
        try await server.restart(mode: "immediate")
        try await waitUntil("progress after the immediate restart", timeout: .seconds(120)) {
            try await done() > beforeImmediate + 50
        }
        try await waitUntil("every job to end", timeout: .seconds(180), interval: .milliseconds(200)) {
            try await server.withConnection { try Ledgers.unfinishedJobs(on: $0) } == 0
        }
        for process in daemons.processes {
            #expect(process.isRunning, "a daemon died with the database:\n\(process.tail())")
        }
        try await daemons.stopAll()
        #expect(!daemons.logLines(containing: "retrying").isEmpty, "the daemons never noticed the restarts")
        try await server.withConnection { connection in
            let notSucceeded = try connection.query(
                "SELECT id || ' ' || state || ' ' || coalesce(last_error, '') FROM reimbursement_job WHERE state <> 'succeeded'") {
                try $0.decode(String.self, at: 0)
            }
            #expect(notSucceeded.isEmpty)
            try Ledgers.expectVerified(on: connection)
            #expect(try Ledgers.postedTotals(on: connection) == expected)
            let outcomes = try connection.query(
                "SELECT coalesce(outcome, 'open') || ' ' || count(*) FROM reimbursement_job_attempt GROUP BY outcome ORDER BY 1") {
                try $0.decode(String.self, at: 0)
            }
            figure("database restart: fast at \(beforeFast)/\(total) customers, immediate at \(beforeImmediate)/\(total); "
                   + "attempts \(outcomes.joined(separator: ", ")); totals equal to the undisturbed run")
        }
    }

    /// Four daemon processes, 500 jobs over 50 companies: each job runs exactly once and never
    /// two at a time in a company.
    @Test func fourDaemonsRunEachJobOnceAndOneAtATimePerCompany() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try connection.execute("""
                INSERT INTO company (id, name, accounting_currency, minimum_reimbursement, vendor_summary_account,
                                     one_time_vendor_group)
                SELECT 'F' || lpad(c::text, 2, '0'), 'Company ' || c, 'USD', 0, '2100', 'OTV'
                  FROM generate_series(1, 50) c
                """)
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, customer_group, currency)
                SELECT 'F' || lpad(c::text, 2, '0'), 'C' || k, 'Customer ' || k, 'RETAIL', 'USD'
                  FROM generate_series(1, 50) c, generate_series(1, 10) k
                """)
            // Ten credits per customer: each of a company's ten jobs selects one customer.
            try connection.execute("""
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                SELECT 'F' || lpad(c::text, 2, '0'), 'C' || k, 'payment', 'USD', -(c * 100 + k), -(c * 100 + k), '1200'
                  FROM generate_series(1, 50) c, generate_series(1, 10) k
                """)
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, customer_accounts, posting_date)
                SELECT 'F' || lpad(c::text, 2, '0'), ARRAY['C' || k], '2026-11-25'
                  FROM generate_series(1, 10) k, generate_series(1, 50) c
                """)
        }
        let started = ContinuousClock.now
        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 5, exitWhenIdle: true)
        try daemons.start(count: 4)
        try await daemons.waitAll(timeout: .seconds(180))
        let elapsed = ContinuousClock.now - started
        try await database.withConnection { connection in
            #expect(try connection.queryValue(
                Int.self, "SELECT count(*) FROM reimbursement_job WHERE state = 'succeeded' AND attempts = 1") == 500)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM reimbursement") == 500)
            let attempts = try connection.query("""
                SELECT j.id || ': ' || count(a.*) || ' attempts ' || string_agg(coalesce(a.outcome, 'open'), ',')
                  FROM reimbursement_job j LEFT JOIN reimbursement_job_attempt a ON a.company_id = j.company_id AND a.job_id = j.id
                 GROUP BY j.id
                HAVING count(a.*) <> 1 OR bool_or(a.outcome IS DISTINCT FROM 'succeeded')
                """) { try $0.decode(String.self, at: 0) }
            #expect(attempts.isEmpty, "jobs not run exactly once: \(attempts.prefix(10))")
            let overlaps = try connection.query("""
                SELECT a.company_id || ' job ' || a.job_id || ' [' || a.started_at || ', ' || a.finished_at || '] overlaps job '
                       || b.job_id || ' [' || b.started_at || ', ' || b.finished_at || ']'
                  FROM reimbursement_job_attempt a
                  JOIN reimbursement_job_attempt b
                    ON b.company_id = a.company_id AND b.job_id > a.job_id
                   AND tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)
                """) { try $0.decode(String.self, at: 0) }
            // Attempt times are the claim's and the finish's transaction start times (now()), not
            // the moments of commit: a claim whose transaction began a few milliseconds before
            // the previous job's finish committed records an earlier start. The unique index
            // reimbursement_job_one_running_per_company makes a real overlap impossible; more
            // than 100 ms of recorded overlap would mean the audit (or the index) is wrong.
            let overlapMs = try connection.queryValue(Double.self, """
                SELECT coalesce(max(extract(epoch FROM upper(tstzrange(a.started_at, a.finished_at) * tstzrange(b.started_at, b.finished_at))
                                                     - lower(tstzrange(a.started_at, a.finished_at) * tstzrange(b.started_at, b.finished_at))) * 1000), 0)::float8
                  FROM reimbursement_job_attempt a
                  JOIN reimbursement_job_attempt b
                    ON b.company_id = a.company_id AND b.job_id > a.job_id
                   AND tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)
                """) ?? 0
            #expect(overlapMs < 100, "two jobs of a company ran at once: \(overlaps.prefix(5))")
            if !overlaps.isEmpty {
                figure("four daemons: \(overlaps.count) recorded attempt overlap(s), longest \(String(format: "%.1f", overlapMs)) ms "
                       + "(transaction-start timestamps): \(overlaps[0])")
            }
            let workers = try connection.queryValue(
                Int.self, "SELECT count(DISTINCT split_part(worker, ':', 2)) FROM reimbursement_job_attempt") ?? 0
            #expect(workers == 4, "all four daemons should have taken jobs")
            try Ledgers.expectVerified(on: connection)
            figure("four daemons: 500 jobs over 50 companies in \(elapsed), each run once, \(workers) processes took jobs, "
                   + "no overlap within a company")
        }
    }

    /// SIGTERM in the middle of a job: exit 0, the job goes back to the queue (attempt
    /// 'released', not counted), another daemon finishes it.
    @Test func gracefulStopHandsTheJobToAnotherDaemon() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try Ledgers.company("GS", customers: 1500, on: connection)
            return try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id, posting_date) VALUES ('GS', '2026-11-25') RETURNING id")!
        }
        let first = Daemons(databaseURL: database.conninfo, workers: 1, chunkSize: 5)
        try first.start()
        try await waitUntil("the job to be under way", timeout: .seconds(60), interval: .milliseconds(20)) {
            try await database.withConnection { connection in
                try connection.queryValue(Int.self, "SELECT customers_done FROM reimbursement_job WHERE id = $1", job) ?? 0
            } >= 50
        }
        let stopAsked = ContinuousClock.now
        first.processes[0].signal(SIGTERM)
        let code = try await first.processes[0].wait(timeout: .seconds(30))
        let stopTime = ContinuousClock.now - stopAsked
        #expect(code == 0, "\(first.processes[0].tail())")
        let (state, attempts, doneAtStop, outcome) = try await database.withConnection { connection in
            let row = try connection.execute(
                "SELECT state, attempts, customers_done FROM reimbursement_job WHERE id = $1", job).first!
            let outcome = try connection.queryValue(
                String.self, "SELECT outcome FROM reimbursement_job_attempt WHERE job_id = $1 AND attempt = 1", job)
            return (try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2), outcome)
        }
        #expect(state == "queued")
        #expect(attempts == 0, "a graceful stop must not use up an attempt")
        #expect(outcome == "released")
        #expect(doneAtStop > 0 && doneAtStop < 1500)
        let second = Daemons(databaseURL: database.conninfo, workers: 1, chunkSize: 50, exitWhenIdle: true)
        try second.start()
        try await second.waitAll()
        try await database.withConnection { connection in
            #expect(try connection.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", job) == "succeeded")
            #expect(try connection.strings(
                "SELECT attempt || ' ' || outcome FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt", job)
                == ["1 released", "2 succeeded"])
            try Ledgers.expectVerified(on: connection)
            figure("graceful stop: SIGTERM at \(doneAtStop)/1500 customers, exit 0 after \(stopTime); resumed and finished by another daemon")
        }
    }
}

extension PostgresConnection {
    func strings(_ sql: String, _ parameters: any PostgresEncodable...) throws -> [String] {
        try execute(sql, parameters: parameters).rows.map { try $0.decode(String.self, at: 0) }
    }
}
