import Foundation

/// Shows a job's progress on stderr: a bar redrawn in place on a terminal, and at most one
/// plain line per second otherwise (a log file or CI output must not fill with redraws).
struct ProgressDisplay {
    let jobID: Int64
    let interactive: Bool
    private var lastLine = ""
    private var lastState = ""
    private var lastPrinted: ContinuousClock.Instant?
    private var drewBar = false

    init(jobID: Int64, interactive: Bool = Terminal.standardErrorIsTerminal) {
        self.jobID = jobID
        self.interactive = interactive
    }

    static func bar(done: Int, total: Int, width: Int = 20) -> String {
        let filled = total > 0 ? min(width, done * width / total) : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// The line for `progress`: with a bar on a terminal, plain otherwise; percent, rate and
    /// estimate once the job runs.
    ///
    /// On a terminal of `width` columns the longest form that fits is chosen: with the bar,
    /// then without it, then the compact counts, then the percent alone; what still does not
    /// fit is cut, so the line never wraps (a wrapped line cannot be redrawn in place).
    static func describe(
        _ progress: JobProgress, jobID: Int64, interactive: Bool, rate: Double? = nil, width: Int = 80
    ) -> String {
        guard let total = progress.customersTotal, progress.state != "queued" else {
            return "job \(jobID) \(progress.state)"
        }
        let rate = progress.state == "running" ? rate : nil
        let done = progress.customersDone
        let counts = ProgressRate.text(done: done, total: total, rate: rate)
        guard interactive else {
            return progress.state == "running" ? "job \(jobID) running: \(counts)" : "job \(jobID) \(progress.state)"
        }
        let ending = progress.state == "running" ? "" : ", \(progress.state)"
        let compact = ProgressRate.text(done: done, total: total, rate: rate, compact: true)
        let percent = total > 0 ? min(100, done * 100 / total) : 100
        let candidates = [
            "\(bar(done: done, total: total)) \(counts)\(ending)",
            "\(counts)\(ending)",
            "\(compact)\(ending)",
            "\(percent)% \(done)/\(total)\(ending)",
        ]
        let room = max(10, width - 1)
        return TerminalWidth.fit(candidates.first { $0.count <= room } ?? candidates[candidates.count - 1], width: width)
    }

    private var rate = ProgressRate()

    mutating func show(_ progress: JobProgress) {
        let speed = progress.state == "running" ? rate.observe(done: progress.customersDone) : nil
        let width = interactive ? TerminalWidth.columns : 80
        var line = TerminalText.escaped(
            Self.describe(progress, jobID: jobID, interactive: interactive, rate: speed, width: width))
        if interactive { line = TerminalWidth.fit(line, width: width) }
        guard line != lastLine else { return }
        if interactive {
            // Clear to the end of the line rather than pad: padding can wrap a narrow terminal.
            Terminal.writeError("\r\(line)\u{1B}[K")
            drewBar = true
        } else {
            let now = ContinuousClock.now
            if let lastPrinted, now - lastPrinted < .seconds(1), progress.state == lastState { return }
            Terminal.writeError(line + "\n")
            lastPrinted = now
        }
        lastLine = line
        lastState = progress.state
    }

    /// Ends the redrawn line so that what follows starts on its own.
    mutating func finish() {
        if drewBar { Terminal.writeError("\n") }
        drewBar = false
    }
}
