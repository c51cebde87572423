public import Logging

/// The metadata keys of the whole project, in one place.
///
/// Logs are read by people with `journalctl` and by machines with `grep job=12` or a JSON
/// query: one spelling per concept (`job`, never `jobID` in one file and `job_id` in another)
/// is what makes a search find every line of a job. The order of the cases is also the order
/// in which ``StderrLogHandler`` prints them, most identifying first.
public enum LogMetadataKey: String, CaseIterable, Sendable {
    /// `reimbursement_job.id`.
    case job
    /// `company.id`, e.g. `USMF`.
    case company
    /// The attempt number of a job (1 for the first run, higher after a retry or rescue).
    case attempt
    /// The worker index inside the daemon, `0..<workers`.
    case worker
    /// The chunk number inside a job.
    case chunk
    /// A count of customers (in a chunk, or done so far).
    case customers
    /// Elapsed wall time in whole milliseconds.
    case durationMilliseconds = "duration_ms"
    /// A person-readable error text.
    case error
    /// The five-character SQLSTATE of a database error, e.g. `40P01`.
    case sqlstate
    /// A job or daemon state, e.g. `running`.
    case state
}

extension Logger {
    /// `logger[metadataKey: .job] = .stringConvertible(job.id)`: the typed spelling of the `String`
    /// subscript, so a misspelt key does not compile.
    public subscript(metadataKey key: LogMetadataKey) -> Logger.Metadata.Value? {
        get { self[metadataKey: key.rawValue] }
        set { self[metadataKey: key.rawValue] = newValue }
    }
}

extension Logger.Metadata {
    /// `logger.info("job finished", metadata: .keyed([.job: "12", .company: "USMF"]))`.
    public static func keyed(_ pairs: KeyValuePairs<LogMetadataKey, Logger.Metadata.Value>) -> Logger.Metadata {
        var metadata = Logger.Metadata(minimumCapacity: pairs.count)
        for (key, value) in pairs {
            metadata[key.rawValue] = value
        }
        return metadata
    }

    /// `metadata[.job]`, the typed spelling of the `String` subscript.
    public subscript(key: LogMetadataKey) -> Logger.Metadata.Value? {
        get { self[key.rawValue] }
        set { self[key.rawValue] = newValue }
    }
}
