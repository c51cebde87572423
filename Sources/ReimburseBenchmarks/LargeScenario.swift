import Foundation
import Postgres

/// One company with N customers, one post job, the daemon as a separate process logged in as
/// the service login; beside it, on the same server in the same run, each on its own copy of
/// the same loaded data in the same statistics state: the hand-written set-based SQL
/// (SetBasedReimbursement.swift), which must post the same rows, and COPY of exactly the rows
/// the job wrote (the write limit).
struct LargeScenario {
    let bench: BenchCluster
    let launcher: DaemonLauncher
    let customers: Int
    let chunkSizes: [Int?]
    let seed: UInt64
    let profile: Bool
    let statistics: [StatisticsState]

    static let company = "BIG"

    struct Result {
        var customers: Int
        var statistics: StatisticsState
        var chunkSize: Int?
        var wallSeconds: Double
        var jobSeconds: Double
        var outputRows: Int
        var settledCredits: Int
        var copySeconds: Double
        var setBasedSeconds: Double
        var peakRSSKilobytes: Int
        var cpuSeconds: Double
        var walBytes: Int
        var perTable: [(table: String, rows: Int, seconds: Double)]

        /// The figures the issue sets goals for, on one line.
        var goalsLine: String {
            "set-based/daemon \(Format.fixed(setBasedSeconds / wallSeconds, 2))x (goal >= 1.5x), "
                + "daemon/COPY \(Format.fixed(wallSeconds / copySeconds, 2))x (goal <= 2.5x), "
                + "daemon peak RSS \(Format.mebibytes(kilobytes: peakRSSKilobytes)) (goal <= 150 MiB)"
        }
    }

    func run() throws -> [Result] {
        let base = "large_\(customers)"
        report("== large: 1 company, \(Format.grouped(customers)) customers, seed \(seed), statistics "
            + statistics.map(\.rawValue).joined(separator: " and "))
        try bench.createDatabase(base)
        try load(into: base)
        // One posting date for the daemon's job and the set-based SQL, fixed before either runs.
        let postingDate = try bench.connect("postgres").textValue("SELECT current_date::text")
        var results: [Result] = []
        for (index, state) in statistics.enumerated() {
            // Each state starts from the loaded data: copies of it, the last state the original.
            let template = index == statistics.count - 1 ? base : "\(base)_\(state.tag)"
            if template != base { try bench.cloneDatabase(base, to: template) }
            try analyze(template, state)
            let sqlDatabase = "\(base)_\(state.tag)_sql"
            try bench.cloneDatabase(template, to: sqlDatabase)
            var setBased: SetBasedRun?
            for chunkSize in chunkSizes {
                let daemonDatabase = "\(base)_\(state.tag)_daemon"
                try bench.cloneDatabase(template, to: daemonDatabase)
                var result = try runDaemon(
                    database: daemonDatabase, state: state, chunkSize: chunkSize, postingDate: postingDate)
                if setBased == nil {
                    setBased = try runSetBased(database: sqlDatabase, state: state, postingDate: postingDate)
                }
                guard let setBased else { break }
                try compare(daemonDatabase: daemonDatabase, daemonJob: result.jobID, sqlDatabase: sqlDatabase,
                            sqlJob: setBased.jobID)
                result.outcome.setBasedSeconds = setBased.seconds
                try measureCopyLimit(database: daemonDatabase, into: &result.outcome)
                report("  [\(state.rawValue)] daemon \(Format.seconds(result.outcome.wallSeconds)), set-based SQL "
                    + "\(Format.seconds(setBased.seconds)), COPY limit \(Format.seconds(result.outcome.copySeconds)): "
                    + result.outcome.goalsLine)
                results.append(result.outcome)
                bench.dropDatabase(daemonDatabase)
            }
            bench.dropDatabase(sqlDatabase)
            bench.dropDatabase(template)
        }
        return results
    }

    private func load(into database: String) throws {
        let connection = try bench.connect(database)
        try DataGenerator.createCompanies([Self.company], on: connection)
        let (counts, loadSeconds) = try Stopwatch.time {
            try DataGenerator(seed: seed).load(companies: [Self.company], customersPerCompany: customers, on: connection)
        }
        report("  load (COPY): \(Format.grouped(counts.customers)) customers, \(Format.grouped(counts.vendors)) vendors, "
            + "\(Format.grouped(counts.transactions)) open transactions in \(Format.seconds(loadSeconds)) "
            + "(\(Format.grouped(Int(Double(counts.customers + counts.vendors + counts.transactions) / loadSeconds))) rows/s)")
    }

    /// Puts a loaded database in `state`; its session ends before the database is copied.
    private func analyze(_ database: String, _ state: StatisticsState) throws {
        let connection = try bench.connect(database)
        let (_, seconds) = try Stopwatch.time { try connection.execute(state.analyzeSQL) }
        report("  [\(state.rawValue)] \(state.explanation): \(state.analyzeSQL) in \(Format.seconds(seconds))")
    }

    private func runDaemon(
        database: String, state: StatisticsState, chunkSize: Int?, postingDate: String
    ) throws -> (jobID: Int, outcome: Result) {
        let connection = try bench.connect(database)
        if profile {
            try connection.execute("ALTER DATABASE \(database) SET log_min_duration_statement = 0")
        }
        try connection.execute("CHECKPOINT")
        let logOffset = bench.logSize()
        let walBefore = try connection.textValue("SELECT pg_current_wal_lsn()::text")
        let jobID = try connection.intValue(
            "INSERT INTO reimbursement_job (company_id, posting_date) VALUES ($1, $2::date) RETURNING id",
            Self.company, postingDate)
        let chunkLabel = chunkSize.map(String.init) ?? "default (500)"
        let login = launcher.login == nil ? "login superuser" : try bench.checkServiceLogin(database)
        report("  [\(state.rawValue)] daemon run: job \(jobID), chunk size \(chunkLabel), \(login)")
        let daemon = try launcher.start(
            conninfo: bench.conninfo(database), workers: 1, exitWhenIdle: true, chunkSize: chunkSize,
            logName: "large-\(customers)-\(state.tag)-\(chunkSize ?? 500)")
        let exit = try daemon.wait()
        let walBytes = try connection.intValue("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", walBefore)
        if profile {
            try connection.execute("ALTER DATABASE \(database) RESET log_min_duration_statement")
        }
        let jobState = try connection.textValue(
            "SELECT state || coalesce(': ' || last_error, '') FROM reimbursement_job WHERE id = $1", jobID)
        guard jobState == "succeeded", exit.exitCode == 0 else {
            throw BenchmarkError("large: job \(jobID) ended \(jobState), daemon exit \(exit.exitCode); see \(launcher.logFolder)")
        }
        let jobSeconds = try connection.queryValue(
            Double.self, "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM reimbursement_job WHERE id = $1",
            jobID) ?? 0
        let settled = try connection.intValue("SELECT count(*) FROM customer_settlement")
        let result = try connection.textValue("SELECT result::text FROM reimbursement_job WHERE id = $1", jobID)
        report("    result: \(result)")
        report("    daemon wall \(Format.seconds(exit.seconds)) (job started->finished \(Format.seconds(jobSeconds))), "
            + "\(Format.grouped(Int(Double(customers) / exit.seconds))) customers/s; "
            + "peak RSS \(Format.mebibytes(kilobytes: exit.maxRSSKilobytes)), "
            + "CPU \(Format.seconds(exit.userSeconds)) user + \(Format.seconds(exit.systemSeconds)) sys, "
            + "WAL \(Format.grouped(walBytes / 1_048_576)) MiB")
        if profile {
            report(ServerLogProfile.summarize(logFile: bench.cluster.logFile, from: logOffset, wallSeconds: exit.seconds))
        }
        return (jobID, Result(
            customers: customers, statistics: state, chunkSize: chunkSize,
            wallSeconds: exit.seconds, jobSeconds: jobSeconds, outputRows: 0, settledCredits: settled, copySeconds: 0,
            setBasedSeconds: 0, peakRSSKilobytes: exit.maxRSSKilobytes, cpuSeconds: exit.userSeconds + exit.systemSeconds,
            walBytes: walBytes, perTable: []))
    }

    /// The set-based SQL on its own copy, as the superuser (the schema owner, as a DBA runs a
    /// script: no row-level security, plain INSERTs).
    private func runSetBased(
        database: String, state: StatisticsState, postingDate: String
    ) throws -> SetBasedRun {
        if profile {
            try bench.connect(database).execute("ALTER DATABASE \(database) SET log_min_duration_statement = 0")
        }
        let connection = try bench.connect(database, name: "reimburse-bench-set-based")
        try connection.execute("CHECKPOINT")
        let logOffset = bench.logSize()
        let walBefore = try connection.textValue("SELECT pg_current_wal_lsn()::text")
        let run = try SetBasedRun.run(on: connection, company: Self.company, postingDate: postingDate)
        let walBytes = try connection.intValue("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", walBefore)
        if profile {
            try connection.execute("ALTER DATABASE \(database) RESET log_min_duration_statement")
        }
        report("  [\(state.rawValue)] set-based SQL (one transaction, superuser): \(Format.seconds(run.seconds)), "
            + "WAL \(Format.grouped(walBytes / 1_048_576)) MiB; by statement (client-side):")
        for line in run.describe() { report(line) }
        if profile {
            report(ServerLogProfile.summarize(logFile: bench.cluster.logFile, from: logOffset, wallSeconds: run.seconds))
        }
        return run
    }

    /// Fails the benchmark when the two runs did not post the same rows.
    private func compare(daemonDatabase: String, daemonJob: Int, sqlDatabase: String, sqlJob: Int) throws {
        let (summary, seconds) = try Stopwatch.time {
            // After the measured runs: the checking queries join the output tables, whose
            // statistics may still say "empty".
            for database in [daemonDatabase, sqlDatabase] { try bench.connect(database).execute("ANALYZE") }
            return
            try PostingComparison.compare(
                company: Self.company,
                PostingComparison.Side(connection: try bench.connect(daemonDatabase), jobID: daemonJob, label: "daemon"),
                PostingComparison.Side(connection: try bench.connect(sqlDatabase), jobID: sqlJob, label: "set-based"))
        }
        report("    same postings (checked in \(Format.seconds(seconds))): " + summary.joined(separator: ", ")
            + "; every voucher balanced")
    }

    private func measureCopyLimit(database: String, into result: inout Result) throws {
        let perTable = try CopyLimit.measure(bench: bench, database: database)
        result.perTable = perTable
        result.outputRows = perTable.reduce(0) { $0 + $1.rows }
        result.copySeconds = perTable.reduce(0) { $0 + $1.seconds }
        report("    output rows: " + perTable.map { "\($0.table) \(Format.grouped($0.rows))" }.joined(separator: ", ")
            + "; plus UPDATE of \(Format.grouped(result.settledCredits)) settled credits (not part of the COPY limit)")
        report("    COPY limit: \(Format.grouped(result.outputRows)) rows in \(Format.seconds(result.copySeconds)) ("
            + perTable.map { "\($0.table) \(Format.fixed($0.seconds, 2))" }.joined(separator: ", ") + ")")
    }
}
