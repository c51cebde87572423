/// Keeps a spreadsheet from running a report cell as a formula ("CSV injection", CWE-1236).
///
/// The rule is OWASP's (https://owasp.org/www-community/attacks/CSV_Injection): a cell that
/// starts with `=`, `+`, `-`, `@`, tab (0x09), carriage return (0x0D) or line feed (0x0A) gets
/// a single quote `'` in front, inside a quoted field whose quotes are doubled:
/// `=HYPERLINK("http://x","y")` is written `"'=HYPERLINK(""http://x"",""y"")"`. The full-width
/// forms `＝ ＋ － ＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some East Asian spreadsheet
/// locales also take as a formula start, are guarded the same way.
///
/// Exempt: cells this program formats itself as numbers (the amount and integer columns),
/// when their text is a plain decimal such as `-10.00`: a spreadsheet reads that as the number
/// it is, and a quote would turn every amount into text. Any other text in such a column (it
/// cannot come from PostgreSQL's numeric and bigint output) is guarded like a name.
///
/// The quote is visible in the cell and stays in the data when the file is read by a program;
/// programs should read `--format json`, which is exact.
enum CSVFormulaGuard {
    static let formulaStarts: Set<Unicode.Scalar> = [
        "=", "+", "-", "@", "\t", "\r", "\n", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}",
    ]

    static func startsFormula(_ text: String) -> Bool {
        text.unicodeScalars.first.map(formulaStarts.contains) ?? false
    }

    /// The CSV field for one cell: RFC 4180 quoting, and OWASP's quote before a formula start.
    static func field(_ text: String, kind: ColumnKind) -> String {
        if kind.isNumber, isPlainDecimal(text) { return text }
        guard startsFormula(text) else { return CSVField.quoted(text) }
        return CSVField.alwaysQuoted("'" + text)
    }

    /// `-?[0-9]+(\.[0-9]+)?`: what PostgreSQL prints for a finite numeric or a bigint.
    static func isPlainDecimal(_ text: String) -> Bool {
        var digits = text.utf8[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        let parts = digits.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
    }
}
