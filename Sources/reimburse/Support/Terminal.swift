import Foundation

/// Where output goes: results on stdout, errors and progress on stderr, so that
/// `reimburse enqueue ... > id.txt` and pipes into other tools get only results.
enum Terminal {
    static func printError(_ message: String) {
        writeError("reimburse: error: \(message)\n")
    }

    static func printNote(_ message: String) {
        writeError("reimburse: \(message)\n")
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
