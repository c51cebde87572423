/// One column of a printed result: its SQL name (also the CSV header and JSON key, so that
/// every format matches the view's documented names) and how to show it.
struct ReportColumn: Sendable {
    var name: String
    var kind: ColumnKind
    /// Wide, rarely needed columns are left out of the terminal table but kept in CSV and JSON.
    var inTable = true

    init(_ name: String, _ kind: ColumnKind = .text, inTable: Bool = true) {
        self.name = name
        self.kind = kind
        self.inTable = inTable
    }
}
