import Foundation
import Postgres
import Synchronization

/// Many small jobs drained by 1, 2 and 4 daemon *processes*, side by side in one run, each
/// process a `reimburse serve` with `workersPerProcess` workers logged in as a production
/// service login (a member of `reimburse_service`, not a superuser):
/// - empty: `emptyJobs` jobs spread over `emptyCompanies` companies without customers (the
///   shape of issue 13: 5,000 jobs over 1,000 companies), so the queue itself is measured;
/// - customers: one post job per company of `companies` x `customers`.
/// Each process count gets companies of its own, so every run starts from fresh data. Besides
/// jobs/s it prints what each job cost the server: commits, WAL flushes (`pg_stat_wal.wal_sync`)
/// and WAL bytes per job; with `--profile` also statements per job (server log), sampled
/// `pg_stat_activity` wait events and lock waits of the daemon sessions.
struct ManySmallScenario {
    let bench: BenchCluster
    let launcher: DaemonLauncher
    let companies: Int
    let customers: Int
    let processes: [Int]
    let workersPerProcess: Int
    let emptyCompanies: Int
    let emptyJobs: Int
    let seed: UInt64
    let profile: Bool

    /// The daemon's login: the cluster's (the launcher connects every daemon as it).
    static let serviceLogin = BenchCluster.serviceLogin
    /// `--processes 1,2,4`: the daemon process counts compared side by side.
    nonisolated(unsafe) static var processCounts = [1, 2, 4]

    /// `workers`: the `--workers` option; one value is the workers of each process, a list
    /// (the default 1,2,4) leaves each process at `serve`'s default of 2.
    init(
        bench: BenchCluster, launcher: DaemonLauncher, companies: Int, customers: Int, workers: [Int], seed: UInt64,
        smoke: Bool = false, profile: Bool = false
    ) {
        self.bench = bench
        self.launcher = launcher
        self.companies = companies
        self.customers = customers
        self.processes = smoke ? [1, 2] : Self.processCounts
        self.workersPerProcess = workers.count == 1 ? workers[0] : 2
        self.emptyCompanies = smoke ? 20 : 1_000
        self.emptyJobs = smoke ? 100 : 5_000
        self.seed = seed
        self.profile = profile
    }

    struct Result {
        var shape: String
        var processes: Int
        var jobs: Int
        var wallSeconds: Double
        var serverSeconds: Double
        var peakRSSKilobytes: Int
        var jobsPerSecond: Double { Double(jobs) / max(serverSeconds, 0.001) }
    }

    func run() throws -> [Result] {
        let database = "many_small"
        report("== many-small: daemon processes \(processes.map(String.init).joined(separator: ",")) x \(workersPerProcess) workers, "
            + "as service login \(Self.serviceLogin); empty: \(Format.grouped(emptyJobs)) jobs over \(Format.grouped(emptyCompanies)) "
            + "companies without customers; customers: \(companies) companies x \(customers) customers, one post job each")
        try bench.createDatabase(database)
        let connection = try bench.connect(database)
        let (_, loadSeconds) = try Stopwatch.time {
            let empty = processes.flatMap { count in (0..<emptyCompanies).map { "P\(count)E\(DataGenerator.padded($0))" } }
            let loaded = processes.flatMap { count in (0..<companies).map { "P\(count)C\(DataGenerator.padded($0))" } }
            try DataGenerator.createCompanies(empty + loaded, on: connection)
            _ = try DataGenerator(seed: seed).load(companies: loaded, customersPerCompany: customers, on: connection)
            try connection.execute(DataGenerator.analyzeSQL)
        }
        report("  load (COPY) and \(DataGenerator.analyzeSQL): \(Format.seconds(loadSeconds))")
        let conninfo = bench.cluster.conninfo(database: database, user: Self.serviceLogin)
        var results: [Result] = []
        for count in processes {
            let perCompany = max(1, emptyJobs / max(1, emptyCompanies))
            results.append(try drain(
                shape: "empty", processes: count, prefix: "P\(count)E", jobsPerCompany: perCompany,
                conninfo: conninfo, database: database, on: connection))
            results.append(try drain(
                shape: "customers", processes: count, prefix: "P\(count)C", jobsPerCompany: 1,
                conninfo: conninfo, database: database, on: connection))
        }
        report("== many-small summary (jobs/s from the first start to the last finish, server clock; goal for empty at 4 processes >= 1,000)")
        for shape in ["empty", "customers"] {
            let line = results.filter { $0.shape == shape }
                .map { "\($0.processes)p \(Format.grouped(Int($0.jobsPerSecond)))" }.joined(separator: " / ")
            report("  \(shape): \(line) jobs/s")
        }
        bench.dropDatabase(database)
        return results
    }


    private func drain(
        shape: String, processes count: Int, prefix: String, jobsPerCompany: Int, conninfo: String, database: String,
        on connection: PostgresConnection
    ) throws -> Result {
        let inserted = try connection.intValue("""
            WITH jobs AS (INSERT INTO reimbursement_job (company_id)
                          SELECT c.id FROM company c, generate_series(1, $2) WHERE c.id LIKE $1
                           ORDER BY 1 RETURNING id)
            SELECT count(*) FROM jobs
            """, "\(prefix)%", jobsPerCompany)
        let before = try ServerCounters.read(database: database, on: connection)
        if profile {
            try connection.execute("ALTER ROLE \(Self.serviceLogin) IN DATABASE \(database) SET log_min_duration_statement = 0")
        }
        let logOffset = (try? FileManager.default.attributesOfItem(atPath: bench.cluster.logFile)[.size] as? Int) ?? 0
        let sampler = profile ? ActivitySampler(conninfo: bench.conninfo(database), login: Self.serviceLogin) : nil
        let daemons = try (0..<count).map { index in
            try launcher.start(
                conninfo: conninfo, workers: workersPerProcess, exitWhenIdle: true, chunkSize: nil,
                logName: "many-small-\(shape)-p\(count)-\(index)")
        }
        let exits = try daemons.map { try $0.wait() }
        let samples = sampler?.stop()
        if profile {
            try connection.execute("ALTER ROLE \(Self.serviceLogin) IN DATABASE \(database) RESET log_min_duration_statement")
        }
        let after = try ServerCounters.read(database: database, on: connection)
        let summary = try connection.query("""
            SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state <> 'succeeded'),
                   coalesce(extract(epoch FROM max(finished_at) - min(started_at))::float8, 0)
              FROM reimbursement_job WHERE company_id LIKE $1
            """, "\(prefix)%") { row in
            (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Double.self, at: 2))
        }[0]
        guard summary.1 == 0, exits.allSatisfy({ $0.exitCode == 0 }) else {
            throw BenchmarkError("many-small: \(summary.1) of \(inserted) jobs did not succeed, daemon exits "
                + "\(exits.map { String($0.exitCode) }.joined(separator: ",")); see \(launcher.logFolder)")
        }
        let wall = exits.map(\.seconds).max() ?? 0
        let result = Result(
            shape: shape, processes: count, jobs: summary.0, wallSeconds: wall, serverSeconds: summary.2,
            peakRSSKilobytes: exits.map(\.maxRSSKilobytes).max() ?? 0)
        let jobs = Double(max(1, summary.0))
        report("  \(shape), \(count) process\(count == 1 ? "" : "es"): \(summary.0) jobs, daemon wall \(Format.seconds(wall)) -> "
            + "\(Format.grouped(Int(jobs / max(wall, 0.001)))) jobs/s; first start to last finish "
            + "\(Format.seconds(summary.2)) -> \(Format.grouped(Int(result.jobsPerSecond))) jobs/s; "
            + "peak RSS \(Format.mebibytes(kilobytes: result.peakRSSKilobytes)); daemon CPU "
            + "\(Format.fixed(exits.map { $0.userSeconds + $0.systemSeconds }.reduce(0, +) * 1000 / jobs, 2)) ms per job")
        report("    per job: \(Format.fixed(Double(after.commits - before.commits) / jobs, 2)) commits, "
            + "\(Format.fixed(Double(after.walSyncs - before.walSyncs) / jobs, 2)) WAL flushes, "
            + "\(Format.grouped(Int(Double(after.walBytes - before.walBytes) / jobs))) WAL bytes")
        if profile {
            report(ServerLogProfile.summarize(logFile: bench.cluster.logFile, from: logOffset, wallSeconds: wall))
            report("    statements per job: \(Format.fixed(Double(ServerLogProfile.statements(logFile: bench.cluster.logFile, from: logOffset)) / jobs, 1))")
            if let samples { report(samples.description) }
        }
        return result
    }
}

/// Cumulative server counters read before and after a drain.
struct ServerCounters {
    var commits: Int
    var walSyncs: Int
    var walBytes: Int

    static func read(database: String, on connection: PostgresConnection) throws -> ServerCounters {
        // Backends report their counters when they go idle or exit; the daemons have exited.
        _ = try? connection.execute("SELECT pg_stat_clear_snapshot()")
        return try connection.query("""
            SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1),
                   (SELECT wal_sync FROM pg_stat_wal),
                   (pg_current_wal_lsn() - '0/0')::bigint
            """, database) { row in
            ServerCounters(
                commits: try row.decode(Int.self, at: 0), walSyncs: try row.decode(Int.self, at: 1),
                walBytes: try row.decode(Int.self, at: 2))
        }[0]
    }
}

extension ServerLogProfile {
    /// Statements the server logged after `offset` (one per round trip of a libpq
    /// `PQexecParams`: its `execute` line, or a simple query's `statement` line).
    static func statements(logFile: String, from offset: Int) -> Int {
        guard let handle = FileHandle(forReadingAtPath: logFile) else { return 0 }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(offset))
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").filter {
            $0.contains("duration: ") && ($0.contains(" ms  execute ") || $0.contains(" ms  statement: "))
        }.count
    }
}

/// Samples `pg_stat_activity` and `pg_locks` of one login's sessions every 5 ms on a thread of
/// its own (its connection stays on that thread), until stopped.
final class ActivitySampler: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let counts = Mutex<[String: Int]>([:])
    private let done = DispatchSemaphore(value: 0)

    init(conninfo: String, login: String) {
        let thread = Thread { [self] in
            defer { done.signal() }
            guard let connection = try? PostgresConnection(conninfo: conninfo, applicationName: "bench-sampler") else { return }
            while !stopped.load(ordering: .relaxed) {
                let rows = (try? connection.query("""
                    SELECT 'session ' || CASE WHEN a.state = 'active'
                                              THEN coalesce(a.wait_event_type || ':' || a.wait_event, 'active (CPU)')
                                              ELSE a.state END
                      FROM pg_stat_activity a WHERE a.usename = $1 AND a.backend_type = 'client backend'
                    UNION ALL
                    SELECT 'lock wait ' || l.locktype || ' ' || l.mode
                      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE NOT l.granted AND a.usename = $1
                    """, login) { try $0.decode(String.self, at: 0) }) ?? []
                counts.withLock { counts in
                    counts["samples", default: 0] += 1
                    for row in rows { counts[row, default: 0] += 1 }
                }
                usleep(5_000)
            }
        }
        thread.start()
    }

    struct Samples: CustomStringConvertible {
        var counts: [String: Int]
        var description: String {
            let samples = max(1, counts["samples"] ?? 0)
            var lines = ["    sampled daemon sessions (\(samples) samples every 5 ms; average sessions in each state):"]
            for (key, value) in counts.filter({ $0.key != "samples" }).sorted(by: { $0.value > $1.value }).prefix(16) {
                lines.append("      \(Format.fixed(Double(value) / Double(samples), 2))  \(key)")
            }
            return lines.joined(separator: "\n")
        }
    }

    func stop() -> Samples {
        stopped.store(true, ordering: .relaxed)
        done.wait()
        return Samples(counts: counts.withLock { $0 })
    }
}

/// An idle daemon; single jobs inserted one by one at random intervals; how long from the
/// INSERT's commit to the job's start and end, all times read from the server's clock.
struct LatencyScenario {
    let bench: BenchCluster
    let launcher: DaemonLauncher
    let jobs: Int
    let seed: UInt64

    struct Result {
        var jobs: Int
        var startP50: Double
        var startP99: Double
        var endP50: Double
        var endP99: Double
        var startMax: Double
    }

    func run() throws -> Result {
        let database = "latency"
        report("== latency: idle daemon (2 workers), \(jobs) single jobs inserted one by one, 10-50 ms apart; times from the server clock (INSERT statement -> started_at / finished_at)")
        try bench.createDatabase(database)
        let connection = try bench.connect(database)
        let ids = (0..<jobs).map { "L\(DataGenerator.padded($0))" }
        try DataGenerator.createCompanies(ids, on: connection)
        _ = try DataGenerator(seed: seed).load(companies: ids, customersPerCompany: 5, on: connection)
        try connection.execute(DataGenerator.analyzeSQL)
        let daemon = try launcher.start(
            conninfo: bench.conninfo(database), workers: 2, exitWhenIdle: false, chunkSize: nil, logName: "latency")
        var reaped = false
        defer { if !reaped { daemon.signal(SIGKILL); _ = try? daemon.wait() } }
        // Ready: the listener and both workers are connected.
        let deadline = ContinuousClock.now + .seconds(30)
        while try connection.intValue(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'reimburse-%'", database) < 3 {
            guard ContinuousClock.now < deadline else {
                daemon.signal(SIGKILL)
                throw BenchmarkError("latency: the daemon did not connect within 30 s; see \(launcher.logFolder)")
            }
            usleep(20_000)
        }
        usleep(300_000)
        var random = SeededRandom(seed: seed)
        var committed: [Int: Int64] = [:]
        for company in ids {
            usleep(UInt32(random.within(10, 50)) * 1000)
            // The server's clock inside the inserting transaction, just before its commit: the
            // latency below includes the commit's own WAL flush, so it is never understated.
            let inserted = try connection.query("""
                INSERT INTO reimbursement_job (company_id) VALUES ($1)
                RETURNING id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                """, company) { row in (try row.decode(Int.self, at: 0), try row.decode(Int64.self, at: 1)) }[0]
            committed[inserted.0] = inserted.1
        }
        let waitDeadline = ContinuousClock.now + .seconds(120)
        while try connection.intValue("SELECT count(*) FROM reimbursement_job WHERE state IN ('queued', 'running')") > 0 {
            guard ContinuousClock.now < waitDeadline else { break }
            usleep(20_000)
        }
        daemon.signal(SIGTERM)
        _ = try daemon.wait()
        reaped = true
        let rows = try connection.query("""
            SELECT id, (extract(epoch FROM started_at) * 1000000)::bigint, (extract(epoch FROM finished_at) * 1000000)::bigint,
                   state
              FROM reimbursement_job
            """) { row in
            (try row.decode(Int.self, at: 0), try row.decode(Int64?.self, at: 1), try row.decode(Int64?.self, at: 2),
             try row.decode(String.self, at: 3))
        }
        var toStart: [Double] = []
        var toEnd: [Double] = []
        for (id, started, finished, state) in rows {
            guard state == "succeeded", let started, let finished, let commit = committed[id] else {
                throw BenchmarkError("latency: job \(id) ended \(state); see \(launcher.logFolder)")
            }
            toStart.append(Double(started - commit) / 1000)
            toEnd.append(Double(finished - commit) / 1000)
        }
        toStart.sort()
        toEnd.sort()
        func percentile(_ values: [Double], _ p: Double) -> Double {
            values[min(values.count - 1, Int((Double(values.count) * p).rounded(.up)) - 1)]
        }
        let result = Result(
            jobs: rows.count, startP50: percentile(toStart, 0.5), startP99: percentile(toStart, 0.99),
            endP50: percentile(toEnd, 0.5), endP99: percentile(toEnd, 0.99), startMax: toStart.last ?? 0)
        report("  commit -> started_at: p50 \(Format.milliseconds(result.startP50)), p99 \(Format.milliseconds(result.startP99)) "
            + "(goal <= 50 ms), max \(Format.milliseconds(result.startMax)), min \(Format.milliseconds(toStart.first ?? 0))")
        report("  commit -> finished_at: p50 \(Format.milliseconds(result.endP50)), p99 \(Format.milliseconds(result.endP99))")
        bench.dropDatabase(database)
        return result
    }
}
