import CLibPQ
import Foundation
import Synchronization

/// A notice or warning the server sent on a connection (`NOTICE:`, `WARNING:`, and the
/// `FATAL:` of a session the server ends while it is idle), which libpq would otherwise print
/// to standard error as it is.
public struct PostgresNotice: Sendable, Equatable {
    /// `WARNING`, `NOTICE`, `INFO`, `LOG`, `DEBUG`, `FATAL`, `PANIC` (never localised).
    public var severity: String
    /// The five-character SQLSTATE, e.g. `42P07`.
    public var sqlState: String?
    /// The primary message, one line.
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(severity: String, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.severity = severity
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    /// Receives every notice of every connection of the process; set once by the program
    /// (the daemon logs them, the command line prints one line each).
    public typealias Handler = @Sendable (PostgresNotice) -> Void

    private static let handler = Mutex<Handler?>(nil)

    /// Sends the notices of every connection, open or opened later, to `handler`; nil restores
    /// the default: one line on standard error, as libpq writes it.
    public static func setHandler(_ handler: Handler?) {
        self.handler.withLock { $0 = handler }
    }

    static func deliver(_ notice: PostgresNotice) {
        if let handler = handler.withLock({ $0 }) {
            handler(notice)
        } else {
            let bytes = Array("\(notice.severity):  \(notice.message)\n".utf8)
            _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    init(result: OpaquePointer) {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }
        self.init(
            severity: field(Int32(UInt8(ascii: "V"))) ?? field(Int32(UInt8(ascii: "S"))) ?? "NOTICE",
            sqlState: field(Int32(UInt8(ascii: "C"))),
            message: field(Int32(UInt8(ascii: "M"))) ?? "",
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))))
    }

    /// Installed on every connection when it opens (and kept by `PQreset`).
    static func install(on handle: OpaquePointer) {
        PQsetNoticeReceiver(handle, { _, result in
            guard let result else { return }
            PostgresNotice.deliver(PostgresNotice(result: result))
        }, nil)
    }
}
