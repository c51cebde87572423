/// Aligns rows for a terminal: a header, a rule, padded cells, numbers right-aligned so that
/// decimal points line up (all amounts have the same number of decimals after trimming to
/// two or more). Cells are shown through ``TerminalText/escaped(_:)``: a control or bidi
/// character in a name is printed as `\u{1B}`, never sent to the terminal, and widths count
/// what is shown.
struct TextTable {
    var headers: [String]
    var rightAligned: [Bool]
    var rows: [[String]] = []

    init(headers: [String], rightAligned: [Bool]) {
        precondition(headers.count == rightAligned.count)
        self.headers = headers
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == headers.count)
        rows.append(row)
    }

    func render() -> String {
        let headers = headers.map(TerminalText.escaped)
        let rows = rows.map { $0.map(TerminalText.escaped) }
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                if index > 0 { text += "  " }
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                text += rightAligned[index] ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        var output = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        output += rows.map(line)
        return output.joined(separator: "\n")
    }
}
