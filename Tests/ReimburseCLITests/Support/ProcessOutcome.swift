/// How a child process ended and what it wrote.
struct ProcessOutcome: Sendable, CustomStringConvertible {
    var exitCode: Int32?
    var signal: Int32?
    var standardOutput: String
    var standardError: String

    /// The lines of stderr, for the "exactly one line" checks.
    var errorLines: [Substring] { standardError.split(separator: "\n") }

    var description: String {
        "exit \(exitCode.map(String.init) ?? "-") signal \(signal.map(String.init) ?? "-")\n"
            + "stdout:\n\(standardOutput)\nstderr:\n\(standardError)"
    }
}
