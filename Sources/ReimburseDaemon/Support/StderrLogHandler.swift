public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of a log line.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `key=value` pairs: readable in `journalctl`, and still greppable and parseable.
    case logfmt
    /// One JSON object per line, for log shippers that index fields.
    case json
}

/// A swift-log handler that writes one line per event to standard error.
///
/// Standard error because that is where a systemd service's logs are collected (journald) and
/// where a command-line run shows them without mixing them into output such as `report --format
/// csv`. One line per event, never a colour code and never a raw newline, so that journald
/// keeps one entry per event and `grep` works.
///
/// Under journald (`JOURNAL_STREAM` names our standard error) two things change, both because
/// journald already records them for every entry:
/// - each line starts with a syslog priority prefix such as `<3>`, which journald strips and
///   turns into the entry's priority, so `journalctl -p warning` filters by level;
/// - logfmt lines leave out `ts=`, which journald records (to the microsecond) anyway and
///   `journalctl` prints in front of every line. JSON lines keep `ts`: a program reading them
///   should not have to know whether a field is present.
public struct StderrLogHandler: LogHandler {
    /// Receives one finished line, without its newline.
    public typealias Sink = @Sendable (String) -> Void

    public let label: String
    public let format: LogFormat
    /// Whether lines go to journald (see the type's documentation).
    public let journal: Bool
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let clock: @Sendable () -> Duration
    private let sink: Sink

    /// - Parameters:
    ///   - journal: the default asks the process environment; tests pass a fixed value.
    ///   - clock: the wall-clock time since the Unix epoch; tests pass a fixed one.
    ///   - sink: where lines go; tests collect them instead of writing to standard error.
    public init(
        label: String,
        format: LogFormat = .logfmt,
        level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil,
        journal: Bool = StderrLogHandler.standardErrorIsJournal(),
        clock: @escaping @Sendable () -> Duration = StderrLogHandler.wallClock,
        sink: @escaping Sink = StderrLogHandler.writeToStandardError
    ) {
        self.label = label
        self.format = format
        self.journal = journal
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.clock = clock
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Precedence as in swift-log's own handlers: the handler's metadata, then the
        // provider's (task-local context), then the call site's.
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error, merged[LogMetadataKey.error.rawValue] == nil {
            merged[LogMetadataKey.error.rawValue] = .string(String(describing: error))
        }
        sink(render(level: event.level, message: event.message.description, metadata: merged))
    }

    /// One line for one event, without the newline.
    func render(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = journal ? Self.syslogPrefix(level) : ""
        let fields = Self.orderedFields(metadata)
        switch format {
        case .logfmt:
            if !journal {
                line += "ts=" + Self.timestamp(clock())
                line += " "
            }
            line += "level=" + level.rawValue
            line += " msg=" + LogfmtText.value(message)
            for (key, value) in fields {
                line += " " + LogfmtText.key(key) + "=" + LogfmtText.value(value.logfmtText)
            }
            line += " label=" + LogfmtText.value(label)
        case .json:
            line += "{\"ts\":" + JSONLineText.string(Self.timestamp(clock()))
            line += ",\"level\":" + JSONLineText.string(level.rawValue)
            line += ",\"msg\":" + JSONLineText.string(message)
            line += ",\"label\":" + JSONLineText.string(label)
            for (key, value) in fields {
                line += "," + JSONLineText.string(key) + ":" + JSONLineText.value(value)
            }
            line += "}"
        }
        return line
    }

    /// The line's own fields; a metadata key that would shadow one of them is renamed rather
    /// than dropped or duplicated (a JSON object with two `msg` keys is read differently by
    /// different parsers).
    static let reservedKeys: Set<String> = ["ts", "level", "msg", "label"]

    /// Known keys first, in ``LogMetadataKey`` order, so `job=` and `company=` lead every line
    /// that has them; then the others by name, so equal events give equal lines.
    static func orderedFields(_ metadata: Logger.Metadata) -> [(String, Logger.Metadata.Value)] {
        guard !metadata.isEmpty else { return [] }
        var remaining = metadata
        var fields: [(String, Logger.Metadata.Value)] = []
        fields.reserveCapacity(metadata.count)
        for key in LogMetadataKey.allCases {
            if let value = remaining.removeValue(forKey: key.rawValue) {
                fields.append((key.rawValue, value))
            }
        }
        for key in remaining.keys.sorted() {
            let name = reservedKeys.contains(key) ? "meta_" + key : key
            fields.append((name, remaining[key]!))
        }
        return fields
    }

    /// `<N>` as sd-daemon(3) defines it; swift-log's `trace` has no syslog level and shares
    /// `debug`'s.
    static func syslogPrefix(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "<7>"
        case .info: "<6>"
        case .notice: "<5>"
        case .warning: "<4>"
        case .error: "<3>"
        case .critical: "<2>"
        }
    }

    /// RFC 3339 in UTC with milliseconds: sorts as text, and reads the same on every host
    /// whatever its time zone.
    static func timestamp(_ sinceEpoch: Duration) -> String {
        let (seconds, attoseconds) = sinceEpoch.components
        var time = time_t(seconds)
        var parts = tm()
        _ = gmtime_r(&time, &parts)
        let milliseconds = Int(attoseconds / 1_000_000_000_000_000)
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":"
            + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2) + "."
            + padded(milliseconds, 3) + "Z"
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    // MARK: - Defaults

    /// The real time since the Unix epoch (`CLOCK_REALTIME`).
    public static let wallClock: @Sendable () -> Duration = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return .seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
    }

    /// True when standard error is the journald stream systemd connected, not merely when
    /// `JOURNAL_STREAM` is set: a child of a service inherits the variable even when its
    /// standard error is redirected to a file or a pipe, so the device and inode it names are
    /// compared with those of file descriptor 2, as systemd.exec(5) asks.
    public static func standardErrorIsJournal() -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: raw).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// Serialises writers: several workers log at once, and one `write` per line under a lock
    /// keeps lines whole even when the kernel splits a long one.
    private static let standardErrorLock = Mutex(())

    /// Writes the line and a newline to file descriptor 2, unbuffered, so nothing is lost when
    /// the process is killed; write errors (a closed stderr) are ignored, as logging must not
    /// stop the daemon.
    public static let writeToStandardError: Sink = { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        standardErrorLock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    // MARK: - Bootstrap

    private static let bootstrapped = Mutex(false)

    /// Installs this handler for every `Logger` of the process. swift-log traps when
    /// `LoggingSystem.bootstrap` runs twice, and both `main` and the tests of a command may
    /// reach this: only the first call bootstraps; later ones return false and change nothing.
    @discardableResult
    public static func bootstrap(
        format: LogFormat,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> Bool {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return false }
        let journal = standardErrorIsJournal()
        LoggingSystem.bootstrap(
            { label, provider in
                StderrLogHandler(
                    label: label, format: format, level: level, metadataProvider: provider, journal: journal)
            },
            metadataProvider: metadataProvider)
        return true
    }
}

extension Logger.MetadataValue {
    /// The text of a value for logfmt, where nesting has no syntax of its own: strings as they
    /// are, lists and dictionaries as compact JSON (quoted later as a whole), which unlike
    /// swift-log's own notation has one spelling per value, with dictionary keys sorted.
    fileprivate var logfmtText: String {
        switch self {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array, .dictionary: JSONLineText.value(self)
        }
    }
}

/// logfmt quoting as go-logfmt does it: bare when the text has no space, `=`, `"` or control
/// character, quoted with backslash escapes otherwise.
enum LogfmtText {
    static func value(_ text: String) -> String {
        guard needsQuoting(text) else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if isControl(scalar) {
                    quoted += unicodeEscape(scalar)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    /// Keys cannot be quoted in logfmt: characters that would end or split one become `_`.
    static func key(_ text: String) -> String {
        guard !text.isEmpty else { return "_" }
        guard text.unicodeScalars.contains(where: { $0 == "=" || $0 == "\"" || $0.value <= 0x20 || isControl($0) })
        else { return text }
        var cleaned = ""
        for scalar in text.unicodeScalars {
            if scalar == "=" || scalar == "\"" || scalar.value <= 0x20 || isControl(scalar) {
                cleaned += "_"
            } else {
                cleaned.unicodeScalars.append(scalar)
            }
        }
        return cleaned
    }

    private static func needsQuoting(_ text: String) -> Bool {
        if text.isEmpty { return true }
        for scalar in text.unicodeScalars {
            if scalar.value <= 0x20 || scalar == "=" || scalar == "\"" || isControl(scalar) { return true }
        }
        return false
    }

    /// C0, DEL and C1: nothing a terminal or journald should receive raw.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

/// JSON text for one line: strings escaped per RFC 8259 (and U+2028/U+2029, which some
/// JavaScript readers take for line ends), nested metadata as nested JSON, integers, finite
/// floating-point values and booleans given as `.stringConvertible` as JSON numbers and
/// booleans. A `.string` stays a string even when it looks like a number, so a field's JSON
/// type depends only on how the call site wrote it.
enum JSONLineText {
    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            return string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let bool as Bool:
                return bool ? "true" : "false"
            case let integer as any BinaryInteger:
                return String(describing: integer)
            case let double as Double where double.isFinite:
                return String(describing: double)
            case let float as Float where float.isFinite:
                return String(describing: float)
            default:
                return string(convertible.description)
            }
        case .array(let values):
            return "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{"
                + dictionary.keys.sorted().map { string($0) + ":" + Self.value(dictionary[$0]!) }
                .joined(separator: ",") + "}"
        }
    }

    static func string(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "\u{08}": escaped += "\\b"
            case "\u{0C}": escaped += "\\f"
            default:
                if LogfmtText.isControl(scalar) {
                    escaped += LogfmtText.unicodeEscape(scalar)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }
}
