import Foundation
import Logging
import Postgres
import Synchronization

/// Reads the queue gauges for a scrape, on a connection and a thread of its own (libpq
/// blocks; the cooperative pool must not), never holding a scrape longer than `timeout`.
///
/// The session has a short `statement_timeout`, and connecting has a short
/// `connect_timeout`; on top of that a scrape waits at most `timeout` for the answer and is
/// served without the queue families when it does not come. While one read is in flight,
/// later scrapes share its answer (each waiting at most `timeout`) instead of queueing more
/// queries behind it or going without the gauges.
final class QueueGaugeReader: Sendable {
    private let connection: PostgresConnectionThread
    private let schema: String
    private let statementTimeout: Duration
    private let timeout: Duration
    private let logger: Logger
    /// The read in flight, if any: scrapes that arrive meanwhile wait for its answer.
    private let inFlight = Mutex<OnceResult<[QueueGaugeRow]?>?>(nil)
    /// Whether the last read failed, so a database that is away is logged once when it goes
    /// and once when it is back, not at every scrape.
    private let failing = Mutex(false)

    init(conninfo: String?, schema: String, statementTimeout: Duration = .seconds(2), timeout: Duration = .seconds(4),
         logger: Logger) {
        self.connection = PostgresConnectionThread(
            conninfo: conninfo, overrides: ["connect_timeout": "3"], applicationName: "reimburse metrics",
            name: "reimburse-metrics")
        self.schema = schema
        self.statementTimeout = statementTimeout
        self.timeout = timeout
        self.logger = logger
    }

    /// The rows, or nil when the database did not answer in time or failed (logged).
    func read() async -> [QueueGaugeRow]? {
        let (shared, started) = inFlight.withLock { slot -> (OnceResult<[QueueGaugeRow]?>, Bool) in
            if let running = slot { return (running, false) }
            let fresh = OnceResult<[QueueGaugeRow]?>()
            slot = fresh
            return (fresh, true)
        }
        if started { startRead(into: shared) }
        // This scrape's answer: the shared one, or nothing after `timeout`.
        let result = OnceResult<[QueueGaugeRow]?>()
        Task { result.set(await shared.value()) }
        let timeout = self.timeout
        let logger = self.logger
        let timer = Task {
            try await Task.sleep(for: timeout)
            guard result.set(nil) else { return }
            if self.failing.withLock({ failing in defer { failing = true }; return !failing }) {
                logger.warning("metrics: the queue query did not answer within \(timeout); scrapes go without it until it does")
            } else {
                logger.debug("metrics: the queue query did not answer within \(timeout)")
            }
        }
        let rows = await result.value()
        timer.cancel()
        return rows
    }

    /// Runs one read on the metrics connection and hands its answer to `result`; clears the
    /// in-flight slot when done, so the next scrape starts a fresh read.
    private func startRead(into result: OnceResult<[QueueGaugeRow]?>) {
        let connection = self.connection
        let schema = self.schema
        let milliseconds = String(Int((statementTimeout / .milliseconds(1)).rounded(.up)))
        let logger = self.logger
        Task {
            defer { self.inFlight.withLock { $0 = nil } }
            do {
                let rows = try await connection.withConnection { connection in
                    try connection.execute(
                        "SELECT pg_catalog.set_config('statement_timeout', $1, false), "
                            + "pg_catalog.set_config('search_path', 'pg_catalog, ' || pg_catalog.quote_ident($2), false)",
                        milliseconds, schema)
                    return try QueueGaugeRow.readAll(on: connection)
                }
                if self.failing.withLock({ failing in defer { failing = false }; return failing }) {
                    logger.info("metrics: the queue gauges can be read again")
                }
                result.set(rows)
            } catch {
                if self.failing.withLock({ failing in defer { failing = true }; return !failing }) {
                    logger.warning(
                        "metrics: cannot read the queue gauges; scrapes go without them until the database answers",
                        metadata: ["error": "\(error)"])
                } else {
                    logger.debug("metrics: cannot read the queue gauges", metadata: ["error": "\(error)"])
                }
                result.set(nil)
            }
        }
    }

    /// Closes the connection, waiting at most 2 s: a read stuck on a dead network must not
    /// hold up the daemon's stop.
    func close() async {
        let closed = OnceResult<Void>()
        let connection = self.connection
        Task {
            await connection.close()
            closed.set(())
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(2))
            closed.set(())
        }
        await closed.value()
        timer.cancel()
    }
}
