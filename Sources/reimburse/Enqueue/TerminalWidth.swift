import Foundation

/// The width of the terminal on stderr, so that a progress line never wraps (a wrapped line
/// cannot be redrawn with `\r`): the kernel's window size, else `$COLUMNS`, else 80.
enum TerminalWidth {
    static var columns: Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 { return value }
        return 80
    }

    /// `line` cut to `width - 1` characters (the last column would wrap on some terminals),
    /// ending in `…` when cut.
    static func fit(_ line: String, width: Int) -> String {
        let room = max(10, width - 1)
        guard line.count > room else { return line }
        return String(line.prefix(room - 1)) + "…"
    }
}
