/// The demo's narration on stdout: numbered steps, SQL as it is run, tables, and how long
/// each step took. Flushed after every piece so a pipe shows progress as it happens. Every
/// line goes through ``Terminal/printLine(_:)``: database text is shown, never acted on.
struct DemoPrinter {
    private var step = 0

    mutating func heading(_ title: String) {
        step += 1
        Terminal.printLine()
        Terminal.printLine("\(step). \(title)")
        Terminal.flushStandardOutput()
    }

    func line(_ text: String = "") {
        Terminal.printLine(text.isEmpty ? "" : "   \(text)")
        Terminal.flushStandardOutput()
    }

    func sql(_ statement: String, result: String? = nil) {
        Terminal.printLine("   " + statement + (result.map { "   -- \($0)" } ?? ""))
        Terminal.flushStandardOutput()
    }

    func table(_ table: TextTable) {
        for row in table.render().split(separator: "\n", omittingEmptySubsequences: false) {
            print("   " + row)  // rendered rows are escaped already
        }
        Terminal.flushStandardOutput()
    }

    static func elapsed(since start: ContinuousClock.Instant) -> String {
        let duration = ContinuousClock.now - start
        let milliseconds = Int(duration.components.seconds) * 1000
            + Int(duration.components.attoseconds / 1_000_000_000_000_000)
        let tenths = milliseconds / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
