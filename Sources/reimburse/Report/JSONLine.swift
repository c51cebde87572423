import ReimburseEngine

/// One JSON object per line, written by hand so that keys keep the view's column order and
/// amounts stay the exact decimal text (as JSON strings: a JSON number may be read as binary
/// floating point by the consumer).
enum JSONLine {
    static func object(_ columns: [ReportColumn], _ values: [String?]) -> String {
        var text = "{"
        for (index, column) in columns.enumerated() {
            if index > 0 { text += "," }
            text += string(column.name) + ":" + value(values[index], kind: column.kind)
        }
        return text + "}"
    }

    static func value(_ value: String?, kind: ColumnKind) -> String {
        guard let value else { return "null" }
        switch kind {
        case .integer: return value
        case .boolean: return value == "t" || value == "true" ? "true" : "false"
        case .amount: return string(DecimalDisplay.trimmed(value))
        case .text: return string(value)
        }
    }

    /// RFC 8259 escapes, and also `\uXXXX` for DEL, C1 controls and the bidi and line
    /// separator characters of ``TerminalText``: the same string once decoded, but `report
    /// --format json` piped to a terminal cannot drive it either.
    static func string(_ value: String) -> String {
        let quoted = JSONText.quoted(value)
        guard quoted.unicodeScalars.contains(where: TerminalText.needsEscape) else { return quoted }
        var result = ""
        for scalar in quoted.unicodeScalars {
            if TerminalText.needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
