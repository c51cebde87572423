import Foundation
import Logging
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Small helpers shared by the store's integration tests: running jobs, reading rows as text,
/// and the job's `result`.
enum Store {
    static let logger = Logger(label: "reimburse-store-tests")

    static func runner(
        _ connection: PostgresConnection, chunkSize: Int = 500, lockTimeout: Duration = .seconds(10)
    ) -> JobRunner {
        JobRunner(
            connection: connection, configuration: JobRunnerConfiguration(chunkSize: chunkSize, lockTimeout: lockTimeout),
            logger: logger)
    }

    /// Claims a queued job and runs it to its end (the library entry point); returns the tally
    /// of a succeeded run and records an issue otherwise.
    @discardableResult
    static func run(
        _ job: Int64, chunkSize: Int = 500, on connection: PostgresConnection,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JobTally? {
        let outcome = try runner(connection, chunkSize: chunkSize).runQueuedJob(id: job)
        guard case .succeeded(let tally) = outcome else {
            Issue.record("job \(job) did not succeed: \(String(describing: outcome))", sourceLocation: sourceLocation)
            return nil
        }
        return tally
    }

    /// Rows of a query as text, columns joined by `|`, NULL spelled `NULL`: easy to compare and
    /// readable when a comparison fails.
    static func rows(
        _ sql: String, _ parameters: any PostgresEncodable..., on connection: PostgresConnection
    ) throws -> [String] {
        let result = try connection.execute(sql, parameters: parameters)
        return (0..<result.rowCount).map { index in
            let row = result[index]
            return (0..<result.columnNames.count).map { row[$0] ?? "NULL" }.joined(separator: "|")
        }
    }

    static func count(
        _ sql: String, _ parameters: any PostgresEncodable..., on connection: PostgresConnection
    ) throws -> Int {
        let result = try connection.execute(sql, parameters: parameters)
        return try result.first?.decode(Int.self, at: 0) ?? 0
    }

    static func state(of job: Int64, on connection: PostgresConnection) throws -> String? {
        try connection.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", job)
    }

    /// The job's `result` as parsed JSON.
    static func result(of job: Int64, on connection: PostgresConnection) throws -> JobResult? {
        guard let text = try connection.queryValue(
            String?.self, "SELECT result::text FROM reimbursement_job WHERE id = $1", job) ?? nil
        else { return nil }
        return try JobResult(text)
    }

    /// Runs `body` on a connection of `user` (a login of the test server) on a thread of its own.
    static func asLogin<T: Sendable>(
        _ user: String, database: TestDatabase, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let thread = DedicatedThread(name: "login-\(user)")
        defer { thread.shutdown() }
        let conninfo = database.server.conninfo
        let name = database.name
        return try await thread.run {
            let connection = try PostgresConnection(
                conninfo: conninfo, overrides: ["dbname": name, "user": user], applicationName: "reimburse-tests")
            return try body(connection)
        }
    }
}

/// The job's `result` JSON, read with a general JSON parser (as a reporting tool would), so
/// that its shape is checked and not only the engine's own reading of it.
struct JobResult: Sendable, Equatable {
    var topLevelKeys: Set<String>
    var customerKeys: Set<String>
    var selected: Int
    var reimbursed: Int
    var noCreditBalance: Int
    var skipped: [String: Int]
    var reimbursements: Int
    /// currency -> (amount, amount_accounting) exactly as written (strings).
    var totals: [String: [String: String]]

    init(_ text: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let customers = object["customers"] as? [String: Any]
        else { throw TestSupportError("result is not an object with customers: \(text)") }
        func int(_ value: Any?, _ what: String) throws -> Int {
            // A JSON integer, not a string or a fraction.
            guard !(value is String), let number = value as? NSNumber,
                  number.doubleValue == Double(number.intValue)
            else { throw TestSupportError("\(what) is not an integer in \(text)") }
            return number.intValue
        }
        topLevelKeys = Set(object.keys)
        customerKeys = Set(customers.keys)
        selected = try int(customers["selected"], "selected")
        reimbursed = try int(customers["reimbursed"], "reimbursed")
        noCreditBalance = try int(customers["no_credit_balance"], "no_credit_balance")
        var skipped: [String: Int] = [:]
        for (reason, value) in customers["skipped"] as? [String: Any] ?? [:] {
            skipped[reason] = try int(value, "skipped.\(reason)")
        }
        self.skipped = skipped
        reimbursements = try int(object["reimbursements"], "reimbursements")
        var totals: [String: [String: String]] = [:]
        for (currency, value) in object["totals"] as? [String: Any] ?? [:] {
            guard let entry = value as? [String: Any] else { throw TestSupportError("total \(currency) in \(text)") }
            var strings: [String: String] = [:]
            for (key, amount) in entry {
                guard let string = amount as? String else {
                    throw TestSupportError("total \(currency).\(key) is not a string in \(text)")
                }
                strings[key] = string
            }
            totals[currency] = strings
        }
        self.totals = totals
    }

    /// Skip count of a reason, 0 when absent.
    func skipped(_ reason: String) -> Int { skipped[reason] ?? 0 }

    /// Total of a currency as exact money, nil when absent or not exact decimal text.
    func total(_ currency: String, _ key: String = "amount") -> Money? {
        totals[currency]?[key].flatMap(Money.init(exactly:))
    }
}

extension Money {
    /// Test shorthand: `Money("12.50")`.
    init(_ text: String) {
        self.init(exactly: text)!
    }
}
