import Foundation
import Logging
import ReimburseDaemon
import Synchronization
import Testing

/// Collects the lines a handler writes, from any thread.
private final class LineSink: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var write: StderrLogHandler.Sink {
        { line in self.storage.withLock { $0.append(line) } }
    }
}

/// 2026-11-25T18:00:00.123Z.
private let fixedClock: @Sendable () -> Duration = { .seconds(1_795_629_600) + .milliseconds(123) }

private func makeLogger(
    _ format: LogFormat,
    journal: Bool = false,
    level: Logger.Level = .info,
    label: String = "reimburse.daemon",
    metadataProvider: Logger.MetadataProvider? = nil
) -> (Logger, LineSink) {
    let sink = LineSink()
    let logger = Logger(label: label) { label in
        StderrLogHandler(
            label: label, format: format, level: level, metadataProvider: metadataProvider, journal: journal,
            clock: fixedClock, sink: sink.write)
    }
    return (logger, sink)
}

private struct PostingFailed: Error, CustomStringConvertible {
    var description: String { "number sequence \"vendor_invoice\" of USMF is missing" }
}

@Suite("StderrLogHandler, logfmt")
struct LogfmtTests {
    @Test("known keys first in LogMetadataKey order, then the rest by name, label last")
    func shape() {
        let (logger, sink) = makeLogger(.logfmt)
        logger.info(
            "job finished",
            metadata: [
                "zeta": "last", "alpha": "first",
                "company": "USMF", "job": "12", "duration_ms": "5321", "state": "succeeded",
            ])
        #expect(sink.lines == [
            "ts=2026-11-25T18:00:00.123Z level=info msg=\"job finished\" job=12 company=USMF duration_ms=5321 "
                + "state=succeeded alpha=first zeta=last label=reimburse.daemon"
        ])
    }

    @Test("values with spaces, quotes, = or control characters are quoted and escaped")
    func escaping() {
        let (logger, sink) = makeLogger(.logfmt)
        logger.warning(
            "chunk \"3\" failed\nretrying",
            metadata: .keyed([
                .error: #"duplicate key value violates "ledger_entry_pkey" \ a=b"#,
                .sqlstate: "23505",
                .company: "",
                .worker: "tab\there",
                .chunk: "bell\u{07}",
                .customers: "naïve",
            ]))
        #expect(sink.lines.count == 1)
        #expect(sink.lines[0] == #"ts=2026-11-25T18:00:00.123Z level=warning msg="chunk \"3\" failed\nretrying" "#
            + #"company="" worker="tab\there" chunk="bell\u0007" customers=naïve "#
            + #"error="duplicate key value violates \"ledger_entry_pkey\" \\ a=b" sqlstate=23505 label=reimburse.daemon"#)
    }

    @Test("odd keys cannot break the line, and cannot shadow the line's own fields")
    func oddKeys() {
        let (logger, sink) = makeLogger(.logfmt)
        logger.info("x", metadata: ["a key": "1", "k=v": "2", "msg": "shadow", "": "empty", "q\"": "3"])
        #expect(sink.lines == [
            #"ts=2026-11-25T18:00:00.123Z level=info msg=x _=empty a_key=1 k_v=2 meta_msg=shadow q_=3 label=reimburse.daemon"#
        ])
    }

    @Test("nested and non-string values")
    func nestedValues() {
        let (logger, sink) = makeLogger(.logfmt)
        logger.info(
            "x",
            metadata: [
                "ids": ["1", .stringConvertible(2)], "n": .stringConvertible(42), "flag": .stringConvertible(true),
                "totals": ["USD": "1.50", "EUR": "2"],
            ])
        #expect(sink.lines == [
            #"ts=2026-11-25T18:00:00.123Z level=info msg=x flag=true ids="[\"1\",2]" n=42 "#
                + #"totals="{\"EUR\":\"2\",\"USD\":\"1.50\"}" label=reimburse.daemon"#
        ])
    }

    @Test("under journald: a syslog priority prefix and no ts, which journald records itself")
    func journal() {
        let (logger, sink) = makeLogger(.logfmt, journal: true, level: .trace)
        logger.trace("t")
        logger.debug("d")
        logger.info("i")
        logger.notice("n")
        logger.warning("w")
        logger.error("e")
        logger.critical("c")
        #expect(sink.lines == [
            "<7>level=trace msg=t label=reimburse.daemon",
            "<7>level=debug msg=d label=reimburse.daemon",
            "<6>level=info msg=i label=reimburse.daemon",
            "<5>level=notice msg=n label=reimburse.daemon",
            "<4>level=warning msg=w label=reimburse.daemon",
            "<3>level=error msg=e label=reimburse.daemon",
            "<2>level=critical msg=c label=reimburse.daemon",
        ])
    }

    @Test("the level filters, and metadata layers: handler, then provider, then call site")
    func levelsAndPrecedence() {
        let provider = Logger.MetadataProvider { ["worker": "1", "attempt": "2"] }
        var (logger, sink) = makeLogger(.logfmt, level: .notice, metadataProvider: provider)
        logger.info("hidden")
        logger[metadataKey: .company] = "USMF"
        logger[metadataKey: .worker] = "0"
        #expect(logger[metadataKey: .company] == "USMF")
        logger.notice("shown", metadata: .keyed([.attempt: "3"]))
        #expect(sink.lines == [
            "ts=2026-11-25T18:00:00.123Z level=notice msg=shown company=USMF attempt=3 worker=1 label=reimburse.daemon"
        ])
    }

    @Test("an error passed to the logger becomes the error field unless one is given")
    func errorField() {
        let (logger, sink) = makeLogger(.logfmt)
        logger.error("job failed", error: PostingFailed(), metadata: .keyed([.job: "7"]))
        logger.error("job failed", error: PostingFailed(), metadata: .keyed([.error: "explicit"]))
        #expect(sink.lines == [
            #"ts=2026-11-25T18:00:00.123Z level=error msg="job failed" job=7 "#
                + #"error="number sequence \"vendor_invoice\" of USMF is missing" label=reimburse.daemon"#,
            #"ts=2026-11-25T18:00:00.123Z level=error msg="job failed" error=explicit label=reimburse.daemon"#,
        ])
    }

    @Test("timestamps are UTC with milliseconds, zero-padded")
    func timestamps() {
        let sink = LineSink()
        let logger = Logger(label: "t") { label in
            StderrLogHandler(
                label: label, journal: false, clock: { .seconds(946_684_800) + .microseconds(7_999) },
                sink: sink.write)
        }
        logger.info("y2k")
        #expect(sink.lines == ["ts=2000-01-01T00:00:00.007Z level=info msg=y2k label=t"])
    }
}

@Suite("StderrLogHandler, JSON")
struct JSONLogTests {
    private func object(_ line: String) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test("one object per line with ts, level, msg, label and the metadata")
    func shape() throws {
        let (logger, sink) = makeLogger(.json)
        logger.info("job finished", metadata: .keyed([.job: "12", .company: "USMF"]))
        #expect(sink.lines == [
            #"{"ts":"2026-11-25T18:00:00.123Z","level":"info","msg":"job finished","label":"reimburse.daemon","job":"12","company":"USMF"}"#
        ])
        let fields = try object(sink.lines[0])
        #expect(fields["ts"] as? String == "2026-11-25T18:00:00.123Z")
        #expect(fields["level"] as? String == "info")
        #expect(fields["msg"] as? String == "job finished")
        #expect(fields["label"] as? String == "reimburse.daemon")
        #expect(fields["job"] as? String == "12")
        #expect(fields["company"] as? String == "USMF")
    }

    @Test("strings that need escaping survive a round trip, and the line stays one line")
    func escaping() throws {
        let (logger, sink) = makeLogger(.json, journal: true)
        let nasty = "quote \" backslash \\ newline \n cr \r tab \t bell \u{07} del \u{7F} sep \u{2028} é ✓ 😀 a=b"
        logger.error("\(nasty)", metadata: ["key \"odd\"\n": "\(nasty)", "sqlstate": "40P01"])
        #expect(sink.lines.count == 1)
        let line = sink.lines[0]
        #expect(line.hasPrefix("<3>{"))
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"))
        let fields = try object(String(line.dropFirst(3)))
        #expect(fields["msg"] as? String == nasty)
        #expect(fields["key \"odd\"\n"] as? String == nasty)
        #expect(fields["sqlstate"] as? String == "40P01")
        #expect(fields["ts"] as? String == "2026-11-25T18:00:00.123Z", "JSON keeps ts even under journald")
    }

    @Test("numbers and booleans given as values stay JSON numbers; nesting stays nested")
    func types() throws {
        let (logger, sink) = makeLogger(.json)
        logger.info(
            "typed",
            metadata: [
                "customers": .stringConvertible(1_000_000),
                "duration_ms": .stringConvertible(12.5),
                "preview": .stringConvertible(true),
                "nan": .stringConvertible(Double.nan),
                "text_number": "12",
                "ids": [.stringConvertible(1), "two"],
                "totals": ["USD": ["amount": "12.50"]],
                "msg": "shadow",
            ])
        let fields = try object(sink.lines[0])
        #expect(fields["customers"] as? Int == 1_000_000)
        #expect(fields["duration_ms"] as? Double == 12.5)
        #expect(fields["preview"] as? Bool == true)
        #expect(fields["nan"] as? String == "nan")
        #expect(fields["text_number"] as? String == "12")
        let ids = try #require(fields["ids"] as? [Any])
        #expect(ids.count == 2 && ids[0] as? Int == 1 && ids[1] as? String == "two")
        let totals = try #require(fields["totals"] as? [String: Any])
        #expect((totals["USD"] as? [String: Any])?["amount"] as? String == "12.50")
        #expect(fields["msg"] as? String == "typed")
        #expect(fields["meta_msg"] as? String == "shadow")
    }

    @Test("concurrent loggers never interleave inside a line")
    func concurrent() async throws {
        let (logger, sink) = makeLogger(.json)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for chunk in 0..<50 {
                        logger.info("chunk posted", metadata: .keyed([.worker: "\(worker)", .chunk: "\(chunk)"]))
                    }
                }
            }
        }
        #expect(sink.lines.count == 400)
        for line in sink.lines {
            _ = try object(line)
        }
    }
}

@Suite("LogFormat and LogMetadataKey")
struct LogVocabularyTests {
    @Test("formats parse from their configuration spelling")
    func formats() {
        #expect(LogFormat.allCases.map(\.rawValue) == ["logfmt", "json"])
        #expect(LogFormat(rawValue: "json") == .json)
        #expect(LogFormat(rawValue: "text") == nil)
    }

    @Test("metadata key spellings are the public ones")
    func keys() {
        #expect(LogMetadataKey.allCases.map(\.rawValue) == [
            "job", "company", "attempt", "worker", "chunk", "customers", "duration_ms", "error", "sqlstate", "state",
        ])
        var metadata = Logger.Metadata.keyed([.job: "1", .durationMilliseconds: "2"])
        metadata[.state] = "running"
        #expect(metadata == ["job": "1", "duration_ms": "2", "state": "running"])
        #expect(metadata[.job] == "1")
    }
}

/// These touch process-wide state (file descriptor 2, the environment), so they run one at a
/// time and restore what they change.
@Suite("StderrLogHandler, the real standard error", .serialized)
struct StandardErrorTests {
    @Test("the default sink writes the line and a newline to file descriptor 2")
    func writesToFileDescriptor2() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let saved = dup(STDERR_FILENO)
        dup2(ends[1], STDERR_FILENO)
        StderrLogHandler.writeToStandardError("level=info msg=\"to stderr\"")
        dup2(saved, STDERR_FILENO)
        close(saved)
        close(ends[1])
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer.prefix(count)
        }
        close(ends[0])
        // Contains, not equals: another test of the process may have written to stderr meanwhile.
        #expect(String(decoding: received, as: UTF8.self).contains("level=info msg=\"to stderr\"\n"))
    }

    @Test("journald is detected by JOURNAL_STREAM naming our stderr, not by the variable alone")
    func journalDetection() throws {
        let original = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        defer {
            if let original { setenv("JOURNAL_STREAM", original, 1) } else { unsetenv("JOURNAL_STREAM") }
        }
        var status = stat()
        #expect(fstat(STDERR_FILENO, &status) == 0)
        setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino)", 1)
        #expect(StderrLogHandler.standardErrorIsJournal())
        setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino + 1)", 1)
        #expect(!StderrLogHandler.standardErrorIsJournal())
        setenv("JOURNAL_STREAM", "garbage", 1)
        #expect(!StderrLogHandler.standardErrorIsJournal())
        unsetenv("JOURNAL_STREAM")
        #expect(!StderrLogHandler.standardErrorIsJournal())
    }
}
