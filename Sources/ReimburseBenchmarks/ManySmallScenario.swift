import Foundation
import Postgres

/// Many companies with a few customers each, one job per company, run by a daemon with 1, 2
/// and 4 workers. Each worker count gets its own companies, so every run starts from fresh data.
struct ManySmallScenario {
    let bench: BenchCluster
    let launcher: DaemonLauncher
    let companies: Int
    let customers: Int
    let workers: [Int]
    let seed: UInt64

    struct Result {
        var workers: Int
        var jobs: Int
        var wallSeconds: Double
        var serverSeconds: Double
        var peakRSSKilobytes: Int
    }

    func run() throws -> [Result] {
        let database = "many_small"
        report("== many-small: \(companies) companies x \(customers) customers, one post job each, workers \(workers.map(String.init).joined(separator: ","))")
        try bench.createDatabase(database)
        let connection = try bench.connect(database)
        let (_, loadSeconds) = try Stopwatch.time {
            let ids = workers.flatMap { count in (0..<companies).map { "W\(count)C\(DataGenerator.padded($0))" } }
            try DataGenerator.createCompanies(ids, on: connection)
            _ = try DataGenerator(seed: seed).load(companies: ids, customersPerCompany: customers, on: connection)
            try connection.execute(DataGenerator.analyzeSQL)
        }
        report("  load (COPY) and VACUUM ANALYZE: \(Format.seconds(loadSeconds))")
        var results: [Result] = []
        for count in workers {
            let inserted = try connection.intValue("""
                WITH jobs AS (INSERT INTO reimbursement_job (company_id)
                              SELECT id FROM company WHERE id LIKE $1 ORDER BY id RETURNING id)
                SELECT count(*) FROM jobs
                """, "W\(count)C%")
            let daemon = try launcher.start(
                conninfo: bench.conninfo(database), workers: count, exitWhenIdle: true, chunkSize: nil,
                logName: "many-small-w\(count)")
            let exit = try daemon.wait()
            let summary = try connection.query("""
                SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state <> 'succeeded'),
                       coalesce(extract(epoch FROM max(finished_at) - min(started_at))::float8, 0)
                  FROM reimbursement_job WHERE company_id LIKE $1
                """, "W\(count)C%") { row in
                (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Double.self, at: 2))
            }[0]
            guard summary.1 == 0, exit.exitCode == 0 else {
                throw BenchmarkError("many-small: \(summary.1) of \(inserted) jobs did not succeed, daemon exit \(exit.exitCode); see \(launcher.logFolder)")
            }
            let result = Result(
                workers: count, jobs: summary.0, wallSeconds: exit.seconds, serverSeconds: summary.2,
                peakRSSKilobytes: exit.maxRSSKilobytes)
            results.append(result)
            report("  workers \(count): \(summary.0) jobs, daemon wall \(Format.seconds(exit.seconds)) -> "
                + "\(Format.grouped(Int(Double(summary.0) / exit.seconds))) jobs/s; first start to last finish "
                + "\(Format.seconds(summary.2)) -> \(Format.grouped(Int(Double(summary.0) / max(summary.2, 0.001)))) jobs/s "
                + "(goal >= 1,000); peak RSS \(Format.mebibytes(kilobytes: exit.maxRSSKilobytes))")
        }
        bench.dropDatabase(database)
        return results
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
