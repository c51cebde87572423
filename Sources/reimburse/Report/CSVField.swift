import Foundation

/// RFC 4180 quoting: a field with a comma, a quote or a line break is enclosed in quotes and
/// its quotes doubled; anything else is written as is.
enum CSVField {
    static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return alwaysQuoted(value)
    }

    static func alwaysQuoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Records end with CRLF, as RFC 4180 says.
    static func record(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\r\n"
    }
}
