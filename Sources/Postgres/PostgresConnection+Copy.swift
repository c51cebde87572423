import CLibPQ

extension PostgresConnection {
    /// Bulk-loads rows with `COPY ... FROM STDIN` in text format, the fastest way to write many
    /// rows (about a hundred times single-row INSERTs here). `sql` is the COPY statement;
    /// `body` writes rows into the writer. Returns how many rows the server stored.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        _ = try check(PQexec(handle, sql))
        var writer = PostgresCopyWriter(handle: handle)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(handle, "aborted by client")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "COPY could not be finished")
        }
        var affected = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle) {
            do {
                let checked = try check(result)
                affected += checked.affectedRows
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return affected
    }

    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}

/// Collects rows in PostgreSQL's COPY text format and sends them in large buffers.
///
/// Every value is escaped here (backslash, tab, newline, carriage return), so text with any
/// content survives; nil is `\N`, SQL NULL.
public struct PostgresCopyWriter {
    private let handle: OpaquePointer
    private var buffer: [UInt8] = []
    private static let flushThreshold = 256 * 1024

    init(handle: OpaquePointer) {
        self.handle = handle
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    /// Appends one row; values are in the column order of the COPY statement. Sends the buffer
    /// when it is large, so memory stays flat however many rows are written.
    public mutating func row(_ values: any PostgresEncodable...) throws {
        try row(values: values)
    }

    public mutating func row(values: [any PostgresEncodable]) throws {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(9) }
            guard let text = value.postgresText else {
                buffer.append(92)
                buffer.append(78)
                continue
            }
            for byte in text.utf8 {
                switch byte {
                case 92: buffer.append(92); buffer.append(92)
                case 9: buffer.append(92); buffer.append(116)
                case 10: buffer.append(92); buffer.append(110)
                case 13: buffer.append(92); buffer.append(114)
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(10)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Number of bytes not yet sent.
    public var pendingBytes: Int { buffer.count }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                PQputCopyData(handle, chars.baseAddress, Int32(chars.count))
            }
        }
        guard status == 1 else {
            throw PostgresError.fromConnection(handle, fallback: "COPY data could not be sent")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
