import Foundation

/// Where output goes: results on stdout, errors and progress on stderr, so that
/// `reimburse enqueue ... > id.txt` and pipes into other tools get only results.
///
/// Every line meant for a person goes through ``TerminalText/escaped(_:)``: a name or an error
/// message read from the database is shown, never acted on by the terminal. Only the report's
/// CSV and JSON, which are data for programs, are written as they are.
enum Terminal {
    static func printError(_ message: String) {
        writeError("reimburse: error: \(TerminalText.escaped(message))\n")
    }

    static func printNote(_ message: String) {
        writeError("reimburse: \(TerminalText.escaped(message))\n")
    }

    /// One line for a person on stdout, control and bidi characters escaped.
    static func printLine(_ text: String = "") {
        print(TerminalText.escaped(text))
    }

    /// Unbuffered, so a progress line shows at once and never interleaves half-written.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// `print` buffers stdout when it is a pipe or file; flush before anything that may end
    /// the process or before a long wait, so output arrives in order and on time.
    static func flushStandardOutput() {
        fflush(nil)
    }

    /// Progress bars only make sense when a person watches stderr.
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
