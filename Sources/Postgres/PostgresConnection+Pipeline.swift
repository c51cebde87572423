import CLibPQ

/// One statement of a pipeline.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [any PostgresEncodable]

    public init(_ sql: String, _ parameters: any PostgresEncodable...) {
        self.sql = sql
        self.parameters = parameters
    }

    public init(_ sql: String, parameters: [any PostgresEncodable]) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// Statements sent in libpq's pipeline mode, each to the server as soon as it is given
/// (``send(_:parameters:)`` flushes it), their results read once, at the end
/// (``PostgresConnection/pipeline(_:)-(PostgresPipeline)->T``). The server executes one
/// statement while the client prepares the next, and the whole batch costs one round trip.
///
/// Not `Sendable`: it lives inside the closure given to `pipeline`, on the connection's thread.
public final class PostgresPipeline {
    let connection: PostgresConnection
    /// Statements sent so far.
    public private(set) var count = 0

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Sends one statement with bound parameters; returns its index among the results.
    @discardableResult
    public func send(_ sql: String, parameters: [any PostgresEncodable]) throws -> Int {
        let texts = parameters.map { $0.postgresText }
        let handle = connection.handle
        let sent = withArrayOfOptionalCStrings(texts) { values in
            PQsendQueryParams(handle, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot send pipelined statement")
        }
        count += 1
        // libpq keeps small messages in its buffer until a sync; flushed now, the server starts
        // on this statement while the caller prepares the next. (A full socket makes libpq read
        // the server's replies while it waits, so this cannot deadlock.)
        guard PQflush(handle) == 0 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot send pipelined statement")
        }
        return count - 1
    }

    @discardableResult
    public func send(_ sql: String, _ parameters: any PostgresEncodable...) throws -> Int {
        try send(sql, parameters: parameters)
    }

    @discardableResult
    public func send(_ statement: PostgresStatement) throws -> Int {
        try send(statement.sql, parameters: statement.parameters)
    }
}

extension PostgresConnection {
    /// Sends all statements at once in pipeline mode and then reads their results: one round
    /// trip instead of one per statement. Inside a transaction the first failure aborts the
    /// rest; its error is thrown.
    @discardableResult
    public func pipeline(_ statements: [PostgresStatement]) throws -> [PostgresResult] {
        guard !statements.isEmpty else { return [] }
        return try pipeline { pipeline in
            for statement in statements { try pipeline.send(statement) }
        }.results
    }

    /// Runs `body` in pipeline mode: every statement it sends goes to the server at once and is
    /// executed while `body` goes on; then one sync, and the results are read, one per
    /// statement in the order sent.
    ///
    /// Errors, in the order the statements ran: the first statement the server refused throws
    /// its ``PostgresError`` (the statements after it are not executed: inside a transaction
    /// the transaction is then failed, as after a single failed statement). When `body` throws
    /// after some statements were sent, they are synced and drained first, the connection is
    /// left out of pipeline mode, and a server refusal among them wins over `body`'s error (it
    /// comes from an earlier point of the work). Never use COPY inside (libpq refuses it).
    public func pipeline<T>(_ body: (PostgresPipeline) throws -> T) throws -> (value: T, results: [PostgresResult]) {
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot enter pipeline mode")
        }
        defer { _ = PQexitPipelineMode(handle) }
        let pipeline = PostgresPipeline(connection: self)
        let value: T
        do {
            value = try body(pipeline)
        } catch {
            // Whatever was sent is still synced and read, so the connection stays usable.
            if isConnected, PQpipelineSync(handle) == 1, let refused = try? readPipelineResults(pipeline.count).failure {
                throw refused
            }
            throw error
        }
        guard PQpipelineSync(handle) == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot sync pipeline")
        }
        let read = try readPipelineResults(pipeline.count)
        if let failure = read.failure { throw failure }
        return (value, read.results)
    }

    /// Reads the results of `count` pipelined statements and everything up to the sync point.
    /// Throws only when the connection is lost; a refused statement comes back as `failure`.
    private func readPipelineResults(_ count: Int) throws -> (results: [PostgresResult], failure: (any Error)?) {
        var results: [PostgresResult] = []
        results.reserveCapacity(count)
        var failure: (any Error)?
        var remaining = count
        while remaining > 0 {
            guard let result = PQgetResult(handle) else {
                // A NULL separates one statement's results from the next.
                guard isConnected else {
                    throw PostgresError.fromConnection(handle, fallback: "connection lost in pipeline")
                }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                remaining -= 1
                continue
            }
            do {
                results.append(try check(result))
            } catch {
                failure = failure ?? error
            }
            remaining -= 1
        }
        // Consume everything up to the sync point; NULLs between results are separators.
        while true {
            guard let result = PQgetResult(handle) else {
                guard isConnected else { break }
                continue
            }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        return (results, failure)
    }
}
