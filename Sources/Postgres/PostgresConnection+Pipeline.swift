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

extension PostgresConnection {
    /// Sends all statements at once in pipeline mode and then reads their results: one round
    /// trip instead of one per statement. Inside a transaction the first failure aborts the
    /// rest; its error is thrown.
    @discardableResult
    public func pipeline(_ statements: [PostgresStatement]) throws -> [PostgresResult] {
        guard !statements.isEmpty else { return [] }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot enter pipeline mode")
        }
        defer { _ = PQexitPipelineMode(handle) }
        for statement in statements {
            let texts = statement.parameters.map { $0.postgresText }
            let sent = withArrayOfOptionalCStrings(texts) { values in
                PQsendQueryParams(handle, statement.sql, Int32(texts.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else {
                throw PostgresError.fromConnection(handle, fallback: "cannot send pipelined statement")
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "cannot sync pipeline")
        }
        var results: [PostgresResult] = []
        var failure: (any Error)?
        var remaining = statements.count
        while remaining > 0 {
            // Each statement yields its result followed by a NULL separator.
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
        if let failure { throw failure }
        return results
    }
}
