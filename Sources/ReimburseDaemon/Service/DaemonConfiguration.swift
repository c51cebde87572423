/// Settings of `reimburse serve`.
public struct DaemonConfiguration: Sendable {
    /// libpq conninfo or URI; nil uses libpq's defaults (PGHOST, service file, passfile).
    public var conninfo: String?
    /// Jobs run at once, each of a different company, each on its own connection and thread.
    public var workers: Int
    /// Return once no job is runnable and none is running (for tests, the demo and cron).
    public var exitWhenIdle: Bool
    /// Customers per chunk transaction.
    public var chunkSize: Int
    /// How long a claimed job stays ours without a heartbeat; a hung worker's job is taken over
    /// after this.
    public var leaseDuration: Duration
    /// The backstop poll when no notification arrives; also how often dead workers are looked for.
    public var pollInterval: Duration
    /// A name for this process in leases and attempt records.
    public var instanceName: String
    /// The schema holding Reimburse's tables (where `reimburse migrate` put them). The daemon's
    /// sessions search only `pg_catalog` and this schema, whatever `search_path` the login has.
    public var schema: String
    /// How often the daemon tries again, and says so in one log line, while the database
    /// cannot take its writes (read-only, a standby, at its connection limit).
    public var conditionRetryInterval: Duration
    /// The most jobs (of as many companies) a worker claims at once and runs in one shared
    /// transaction, each in a savepoint of its own (see ``JobWorker``). A worker claims one job
    /// when the queue is short and doubles its claim, up to this, while each claim comes back
    /// full. 1 turns batches off.
    public var claimBatchLimit: Int
    /// A shared transaction takes no further job after this long (its first job always runs).
    public var batchWindow: Duration

    public init(conninfo: String?, workers: Int = 2, exitWhenIdle: Bool = false) {
        self.conninfo = conninfo
        self.workers = max(1, workers)
        self.exitWhenIdle = exitWhenIdle
        self.chunkSize = 500
        self.leaseDuration = .seconds(30)
        self.pollInterval = .seconds(2)
        self.instanceName = DaemonConfiguration.defaultInstanceName()
        self.schema = "public"
        self.conditionRetryInterval = .seconds(5)
        self.claimBatchLimit = 16
        self.batchWindow = .milliseconds(100)
    }

    /// The settings within what the loops can live with (the fields are public and set one by
    /// one): at least one worker and one customer per chunk; a poll of at least 10 ms; a lease
    /// of at least 1 s, renewed every third of it.
    func normalized() -> DaemonConfiguration {
        var copy = self
        copy.workers = max(1, workers)
        copy.chunkSize = max(1, chunkSize)
        copy.pollInterval = max(.milliseconds(10), pollInterval)
        copy.leaseDuration = max(.seconds(1), leaseDuration)
        copy.conditionRetryInterval = max(.milliseconds(50), conditionRetryInterval)
        copy.claimBatchLimit = min(100, max(1, claimBatchLimit))
        if copy.schema.isEmpty { copy.schema = "public" }
        return copy
    }

    static func defaultInstanceName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        return "\(host):\(getpid())"
    }
}

#if canImport(Glibc)
import Glibc
#endif
