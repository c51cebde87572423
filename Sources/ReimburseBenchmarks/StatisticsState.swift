/// What the planner knows when a job starts: the state the output tables' statistics are in.
///
/// - ``analyzed`` (the default): a database-wide `VACUUM ANALYZE` after the load, as a DBA runs
///   it after a bulk load. The output tables are analyzed while empty (reltuples 0), and
///   autovacuum (on, default settings) analyzes them again once the job has written enough.
/// - ``neverAnalyzed``: only the loaded tables are analyzed; the output tables have never been
///   (reltuples -1), as on a fresh install before autovacuum's first visit. Autovacuum still
///   runs and analyzes them mid-job.
enum StatisticsState: String, CaseIterable, Sendable {
    case analyzed
    case neverAnalyzed = "never-analyzed"

    /// Run in the loaded database, before it is copied for the measured runs.
    var analyzeSQL: String {
        switch self {
        case .analyzed: "VACUUM ANALYZE"
        case .neverAnalyzed: "VACUUM ANALYZE company, customer, vendor, customer_transaction"
        }
    }

    /// A short tag for database names.
    var tag: String {
        switch self {
        case .analyzed: "an"
        case .neverAnalyzed: "na"
        }
    }

    var explanation: String {
        switch self {
        case .analyzed: "database-wide VACUUM ANALYZE after the load (output tables analyzed while empty)"
        case .neverAnalyzed: "VACUUM ANALYZE of the loaded tables only (output tables never analyzed)"
        }
    }

    /// `analyzed`, `never-analyzed` or `both` (analyzed first).
    static func parse(_ text: String) -> [StatisticsState]? {
        if text == "both" { return [.analyzed, .neverAnalyzed] }
        return StatisticsState(rawValue: text).map { [$0] }
    }
}
