/// The few pieces of JSON the engine writes by hand: no Foundation, and the output must be
/// byte-for-byte deterministic. Public so the command line's JSON output escapes the same way.
public enum JSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259),
    /// everything else kept as UTF-8.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
