/// Writes rows to stdout in one of the formats as they arrive: CSV and JSON stream (a
/// million-row report needs no memory), the table waits for all rows to know its widths.
/// Cells are data, never instructions: CSV guards formula starts (``CSVFormulaGuard``), the
/// table escapes control characters (``TerminalText``), JSON is exact.
struct RowWriter {
    let format: ReportFormat
    let columns: [ReportColumn]
    private var table: TextTable?
    private(set) var rowCount = 0

    init(format: ReportFormat, columns: [ReportColumn]) {
        self.format = format
        self.columns = format == .table ? columns.filter(\.inTable) : columns
        switch format {
        case .table:
            table = TextTable(headers: self.columns.map(\.name), rightAligned: self.columns.map(\.kind.isRightAligned))
        case .csv:
            print(CSVField.record(self.columns.map(\.name)), terminator: "")
        case .json:
            break
        }
    }

    /// `values` holds every column of `columns` as given to the initializer, by name.
    mutating func write(_ values: [String: String?]) {
        rowCount += 1
        let ordered = columns.map { values[$0.name] ?? nil }
        switch format {
        case .table:
            table?.append(zip(columns, ordered).map { CellText.display($1, kind: $0.kind, forTable: true) })
        case .csv:
            let fields = zip(columns, ordered).map { column, value in
                CSVFormulaGuard.field(CellText.display(value, kind: column.kind, forTable: false), kind: column.kind)
            }
            print(fields.joined(separator: ",") + "\r\n", terminator: "")
        case .json:
            print(JSONLine.object(columns, ordered))
        }
    }

    /// Prints the table; `noun` names the rows in the footer ("3 reimbursements").
    func finish(noun: String) {
        guard format == .table, let table else { return }
        print(table.render())
        Terminal.printLine("(\(rowCount) \(noun))")
    }
}
