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

    static func describe(_ progress: JobProgress, jobID: Int64, interactive: Bool) -> String {
        guard let total = progress.customersTotal, progress.state != "queued" else {
            return "job \(jobID) \(progress.state)"
        }
        let counts = "\(progress.customersDone)/\(total) customers"
        if interactive {
            let ending = progress.state == "running" ? "" : ", \(progress.state)"
            return "\(bar(done: progress.customersDone, total: total)) \(counts)\(ending)"
        }
        return progress.state == "running" ? "job \(jobID) running: \(counts)" : "job \(jobID) \(progress.state)"
    }

    mutating func show(_ progress: JobProgress) {
        let line = TerminalText.escaped(Self.describe(progress, jobID: jobID, interactive: interactive))
        guard line != lastLine else { return }
        if interactive {
            let padding = String(repeating: " ", count: max(0, lastLine.count - line.count))
            Terminal.writeError("\r\(line)\(padding)")
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
