import Postgres

/// The writes of one posting (a chunk, or one customer of it), sent as one batch.
///
/// For a row-secured login (`staged`, as a production daemon is) every statement goes out in
/// one pipeline (``PostgresConnection/pipeline(_:)-(PostgresPipeline)->T``), each as soon as its
/// rows are encoded: the server inserts one table while the client encodes the next, and the
/// posting costs one round trip instead of one per table. The table owner writes with COPY,
/// which a pipeline cannot carry, so its statements run one after another.
///
/// What the statements return is checked after the batch (``execute(_:_:check:)``), in the
/// order sent. Errors: the first statement the server refuses throws its ``PostgresError``
/// (SQLSTATE, constraint and table intact: the customer-by-customer fallback of
/// ``ChunkProcessor`` reads them), the statements after it are not executed; a check that
/// fails throws its own error (a ``JobFailure``), after every statement ran. Either way the
/// caller rolls back (the chunk's savepoint or transaction), as after a single statement.
final class ChunkStatements {
    private let connection: PostgresConnection
    private let pipeline: PostgresPipeline?
    private var checks: [(index: Int, check: (PostgresResult) throws -> Void)] = []

    private init(connection: PostgresConnection, pipeline: PostgresPipeline?) {
        self.connection = connection
        self.pipeline = pipeline
    }

    /// True when tables are written with INSERT from column arrays (pipelined), not COPY.
    var staged: Bool { pipeline != nil }

    /// Runs `body`, which gives the statements of one posting, then the checks of their results.
    static func run(on connection: PostgresConnection, staged: Bool, _ body: (ChunkStatements) throws -> Void) throws {
        guard staged else {
            try body(ChunkStatements(connection: connection, pipeline: nil))
            return
        }
        let (statements, results) = try connection.pipeline { pipeline in
            let statements = ChunkStatements(connection: connection, pipeline: pipeline)
            try body(statements)
            return statements
        }
        for (index, check) in statements.checks { try check(results[index]) }
    }

    /// Runs one statement; `check`, when given, inspects its result (after the batch, when
    /// pipelined).
    func execute(
        _ sql: String, _ parameters: [any PostgresEncodable], check: ((PostgresResult) throws -> Void)? = nil
    ) throws {
        guard let pipeline else {
            let result = try connection.execute(sql, parameters: parameters)
            try check?(result)
            return
        }
        let index = try pipeline.send(sql, parameters: parameters)
        if let check { checks.append((index, check)) }
    }

    /// Writes `rows` into `writer`'s table: one INSERT from column arrays, or COPY.
    func write(_ writer: BulkTableWriter, _ rows: [[any PostgresEncodable]]) throws {
        guard !rows.isEmpty else { return }
        guard staged else {
            try writer.write(rows, on: connection, staged: false)
            return
        }
        try execute(writer.insertFromArraysSQL, writer.columnArrays(rows))
    }
}
