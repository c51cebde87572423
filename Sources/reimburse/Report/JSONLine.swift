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

    static func string(_ value: String) -> String {
        JSONText.quoted(value)
    }
}
