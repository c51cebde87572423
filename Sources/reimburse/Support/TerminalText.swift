/// Text from the database (names, codes, error messages) made safe to show on a terminal: a
/// character the terminal would act on instead of showing is written as a visible escape.
///
/// Escaped, each as `\u{HEX}` (`\t`, `\n` and `\r` as those two characters):
/// - C0 controls U+0000–U+001F (ESC starts ANSI sequences that clear the screen, move the
///   cursor, recolour, set the window title or write OSC 8 links), DEL U+007F and C1 controls
///   U+0080–U+009F (U+009B is a one-character CSI on some terminals); Unicode category Cc;
/// - the bidirectional formatting characters U+061C, U+200E, U+200F, U+202A–U+202E and
///   U+2066–U+2069, which reorder what follows them on the line (a right-to-left override in a
///   name would reverse the amounts beside it: "Trojan Source", CVE-2021-42574);
/// - the line and paragraph separators U+2028 and U+2029.
///
/// Everything else, including a backslash, is shown as it is: the table is for people, CSV
/// and JSON are the exact formats.
enum TerminalText {
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case _ where needsEscape(scalar):
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        case 0x2028, 0x2029: true
        default: false
        }
    }
}
