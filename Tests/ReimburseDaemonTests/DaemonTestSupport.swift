import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Postgres
import ReimburseDaemon
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Every daemon test runs one after the other: they start threads and connections of their
/// own, and two of them measure latencies that a neighbour's load would distort.
@Suite("Daemon", .serialized)
struct DaemonTests {}

/// Something that runs SQL on a connection of its own thread: a test database, or a private
/// cluster's connection thread.
protocol SQLRunner: Sendable {
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T
}

extension TestDatabase: SQLRunner {}
extension PostgresConnectionThread: SQLRunner {}

/// A daemon running in this process, stopped by cancelling its task (a graceful stop).
struct DaemonRun: Sendable {
    let task: Task<Void, any Error>

    /// Asks for a graceful stop and waits for `run()` to return.
    func stop(within timeout: Duration = .seconds(20)) async throws {
        task.cancel()
        let returned = try await waitForReturn(within: timeout)
        #expect(returned, "the daemon did not return within \(timeout) of a graceful stop")
    }

    /// Waits for `run()` to return by itself; false (and a graceful stop) after `timeout`.
    func waitForReturn(within timeout: Duration) async throws -> Bool {
        let task = self.task
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await task.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = try await group.next() ?? false
            // Either run() returned, or it gets a graceful stop so the group can finish.
            task.cancel()
            group.cancelAll()
            while let _ = try await group.next() {}
            return first
        }
    }
}

enum Daemon {
    static func configuration(
        _ conninfo: String, instance: String, workers: Int = 2, chunkSize: Int = 10,
        lease: Duration = .seconds(3), poll: Duration = .milliseconds(200), exitWhenIdle: Bool = false
    ) -> DaemonConfiguration {
        var configuration = DaemonConfiguration(conninfo: conninfo, workers: workers, exitWhenIdle: exitWhenIdle)
        configuration.chunkSize = chunkSize
        configuration.leaseDuration = lease
        configuration.pollInterval = poll
        configuration.instanceName = instance
        return configuration
    }

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["REIMBURSE_TEST_DAEMON_LOG"] == "1" ? .debug : .error
        return logger
    }

    /// Starts `run()` in a task of its own.
    static func start(_ configuration: DaemonConfiguration) -> DaemonRun {
        let daemon = ReimbursementDaemon(configuration: configuration, logger: logger, notifier: SystemdNotifier(environment: [:]))
        return DaemonRun(task: Task { try await daemon.run() })
    }

    static func start(
        _ conninfo: String, instance: String, workers: Int = 2, chunkSize: Int = 10,
        lease: Duration = .seconds(3), poll: Duration = .milliseconds(200), exitWhenIdle: Bool = false
    ) -> DaemonRun {
        start(configuration(
            conninfo, instance: instance, workers: workers, chunkSize: chunkSize, lease: lease, poll: poll,
            exitWhenIdle: exitWhenIdle))
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Polls `check` until it is true; throws after `timeout`. Errors of `check` count as "not yet"
/// when `tolerateErrors` (a restarting server), else they end the wait.
func eventually(
    _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
    tolerateErrors: Bool = false, _ check: @escaping @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            if try await check() { return }
        } catch {
            guard tolerateErrors else { throw error }
            lastError = error
        }
        try await Task.sleep(for: interval)
    }
    throw TimedOut(description: "timed out after \(timeout) waiting until \(what)"
        + (lastError.map { "; last error: \($0)" } ?? ""))
}

/// A job row as the tests look at it.
struct JobRow: Sendable, CustomStringConvertible {
    var state: String
    var attempts: Int
    var customersDone: Int
    var customersTotal: Int?
    var lastError: String?
    var started: Bool
    var leaseOwner: String?

    var description: String {
        "state=\(state) attempts=\(attempts) done=\(customersDone)/\(customersTotal.map(String.init) ?? "?") "
            + "owner=\(leaseOwner ?? "-") error=\(lastError ?? "-")"
    }

    static func load(_ id: Int64, on connection: PostgresConnection) throws -> JobRow {
        let rows = try connection.query("""
            SELECT state, attempts, customers_done, customers_total, last_error, started_at IS NOT NULL, lease_owner
              FROM reimbursement_job WHERE id = $1
            """, id) { row in
            JobRow(
                state: try row.decode(at: 0), attempts: try row.decode(at: 1), customersDone: try row.decode(at: 2),
                customersTotal: try row.decode(Int?.self, at: 3), lastError: try row.decode(String?.self, at: 4),
                started: try row.decode(at: 5), leaseOwner: try row.decode(String?.self, at: 6))
        }
        guard let row = rows.first else { throw TimedOut(description: "job \(id) does not exist") }
        return row
    }
}

extension SQLRunner {
    func job(_ id: Int64) async throws -> JobRow {
        try await withConnection { try JobRow.load(id, on: $0) }
    }

    /// Waits until the job is in one of `states`.
    @discardableResult
    func waitForJob(
        _ id: Int64, in states: Set<String>, timeout: Duration = .seconds(30), tolerateErrors: Bool = false
    ) async throws -> JobRow {
        try await eventually("job \(id) is \(states.sorted().joined(separator: "/"))", timeout: timeout,
                             tolerateErrors: tolerateErrors) {
            states.contains(try await self.job(id).state)
        }
        return try await job(id)
    }

    /// The attempt rows of a job, in order: (attempt, worker, outcome, error).
    func attempts(_ id: Int64) async throws -> [(attempt: Int, worker: String, outcome: String?, error: String?)] {
        try await withConnection { connection in
            try connection.query("""
                SELECT attempt, worker, outcome, error FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt
                """, id) { row in
                (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1),
                 try row.decode(String?.self, at: 2), try row.decode(String?.self, at: 3))
            }
        }
    }

    func value<T: PostgresDecodable & Sendable>(
        _ type: T.Type, _ sql: String, _ parameters: [any PostgresEncodable] = []
    ) async throws -> T? {
        try await withConnection { connection in
            let result = try connection.execute(sql, parameters: parameters)
            guard let row = result.first else { return nil }
            return try row.decode(T.self, at: 0)
        }
    }
}

/// Bulk ledgers, so a job has many customers to work through.
enum BulkLedger {
    /// A company with `customers` customers, each with one open credit (and every seventh one a
    /// second credit on another ledger account). Returns the total that a complete run
    /// reimburses, as exact text.
    @discardableResult
    static func company(_ id: String, customers: Int, on connection: PostgresConnection) throws -> String {
        try LedgerFixture.company(id, on: connection)
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, customer_group, currency, address)
            SELECT $1, 'C' || lpad(g::text, 6, '0'), 'Customer ' || g, 'RETAIL', 'USD', g || ' Main Street'
              FROM generate_series(1, $2) g
            """, id, customers)
        try connection.execute("""
            INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, amount,
                                              amount_accounting, ledger_account)
            SELECT $1, 'C' || lpad(g::text, 6, '0'), 'PAY-' || g, 'payment', 'USD',
                   -((g % 97) + 1 + 0.25), -((g % 97) + 1 + 0.25), '1200'
              FROM generate_series(1, $2) g
            UNION ALL
            SELECT $1, 'C' || lpad(g::text, 6, '0'), 'CN-' || g, 'credit_note', 'USD', -0.010001, -0.010001, '1300'
              FROM generate_series(7, $2, 7) g
            """, id, customers)
        return try connection.queryValue(String.self, """
            SELECT (-sum(amount))::text FROM customer_transaction WHERE company_id = $1 AND amount < 0
            """, id) ?? "0"
    }

    /// What a company's books say after its jobs ran.
    struct Check: Sendable, CustomStringConvertible {
        var creditsSettledTwice: Int
        var customersReimbursedTwice: Int
        var openCredits: Int
        var reimbursements: Int
        var posted: String
        var expected: String
        var unbalancedVouchers: Int
        var invoiceNumbersGapFree: Bool
        var resultReimbursed: Int
        var resultTotal: String

        var description: String {
            "settled twice \(creditsSettledTwice), reimbursed twice \(customersReimbursedTwice), open credits "
                + "\(openCredits), reimbursements \(reimbursements), posted \(posted) of \(expected), unbalanced "
                + "vouchers \(unbalancedVouchers), gap-free \(invoiceNumbersGapFree), result says \(resultReimbursed) "
                + "reimbursed for \(resultTotal)"
        }

        /// Everything posted exactly once, balanced, numbered without gaps, and counted in the
        /// results of the company's jobs.
        var isExactlyOnce: Bool {
            creditsSettledTwice == 0 && customersReimbursedTwice == 0 && openCredits == 0 && posted == expected
                && unbalancedVouchers == 0 && invoiceNumbersGapFree && resultReimbursed == reimbursements
                && resultTotal == expected
        }
    }

    static func check(_ company: String, on connection: PostgresConnection) throws -> Check {
        let row = try connection.execute("""
            SELECT
              (SELECT count(*) FROM (SELECT 1 FROM customer_settlement WHERE company_id = $1
                                      GROUP BY credit_transaction_id HAVING count(*) > 1) d)::int,
              (SELECT count(*) FROM (SELECT 1 FROM reimbursement WHERE company_id = $1
                                      GROUP BY customer_account, currency HAVING count(*) > 1) d)::int,
              (SELECT count(*) FROM customer_transaction
                WHERE company_id = $1 AND amount < 0 AND amount <> settled_amount)::int,
              (SELECT count(*) FROM reimbursement WHERE company_id = $1)::int,
              (SELECT coalesce(sum(amount), 0)::text FROM reimbursement WHERE company_id = $1),
              (SELECT (-coalesce(sum(amount), 0))::text FROM customer_transaction
                WHERE company_id = $1 AND amount < 0),
              (SELECT count(*) FROM (SELECT 1 FROM ledger_entry WHERE company_id = $1
                                      GROUP BY voucher HAVING sum(amount) <> 0) d)::int,
              (SELECT count(*) = coalesce(max(substr(invoice_number, 4)::bigint), 0)
                      AND count(DISTINCT invoice_number) = count(*)
                 FROM vendor_invoice WHERE company_id = $1),
              (SELECT coalesce(sum((result -> 'customers' ->> 'reimbursed')::int), 0)::int
                 FROM reimbursement_job WHERE company_id = $1),
              (SELECT coalesce(sum((result -> 'totals' -> 'USD' ->> 'amount')::numeric), 0)::numeric(24,6)::text
                 FROM reimbursement_job WHERE company_id = $1)
            """, company)[0]
        return Check(
            creditsSettledTwice: try row.decode(at: 0), customersReimbursedTwice: try row.decode(at: 1),
            openCredits: try row.decode(at: 2), reimbursements: try row.decode(at: 3), posted: try row.decode(at: 4),
            expected: try row.decode(at: 5), unbalancedVouchers: try row.decode(at: 6),
            invoiceNumbersGapFree: try row.decode(at: 7), resultReimbursed: try row.decode(at: 8),
            resultTotal: try row.decode(at: 9))
    }
}

/// Inserts a job by plain SQL, as another system would, and returns its id.
@discardableResult
func insertJob(
    _ company: String, maxAttempts: Int = 5, runAtOffsetSeconds: Double? = nil, cancelRequested: Bool = false,
    on connection: PostgresConnection
) throws -> Int64 {
    try connection.queryValue(Int64.self, """
        INSERT INTO reimbursement_job (company_id, max_attempts, run_at, cancel_requested)
        VALUES ($1, $2, now() + make_interval(secs => coalesce($3::float8, 0)), $4) RETURNING id
        """, company, maxAttempts, runAtOffsetSeconds.map { String($0) }, cancelRequested)!
}

/// A unix datagram socket in the abstract namespace standing in for systemd's
/// `NOTIFY_SOCKET`, read without blocking.
final class NotifyInbox: @unchecked Sendable {
    let name: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: ContinuousClock.Instant, text: String)] = []

    init() throws {
        name = "reimburse-daemon-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TimedOut(description: "socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for (index, byte) in bytes.enumerated() { path[index + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw TimedOut(description: "bind: \(errno)") }
    }

    deinit { close(fd) }

    /// The environment a notifier gets under systemd with `WatchdogSec=` twice `watchdog`.
    func environment(watchdog: Duration) -> [String: String] {
        let (seconds, attoseconds) = watchdog.components
        let microseconds = (seconds * 1_000_000 + attoseconds / 1_000_000_000_000) * 2
        return ["NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": String(microseconds)]
    }

    /// Reads whatever arrived; returns everything received so far.
    @discardableResult
    func drain() -> [(at: ContinuousClock.Instant, text: String)] {
        lock.lock()
        defer { lock.unlock() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { break }
            received.append((.now, String(decoding: buffer[0..<count], as: UTF8.self)))
        }
        return received
    }

    /// Keeps reading for `duration`, every 10 ms, so arrival times are accurate.
    func collect(for duration: Duration) async throws -> [(at: ContinuousClock.Instant, text: String)] {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            drain()
            try await Task.sleep(for: .milliseconds(10))
        }
        return drain()
    }
}
