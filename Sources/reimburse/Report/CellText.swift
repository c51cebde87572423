/// A column value as text for the table and CSV formats; NULL is an empty cell.
enum CellText {
    static func display(_ value: String?, kind: ColumnKind, forTable: Bool) -> String {
        guard let value else { return "" }
        switch kind {
        case .amount: return DecimalDisplay.trimmed(value)
        case .boolean:
            let isTrue = value == "t" || value == "true"
            return forTable ? (isTrue ? "yes" : "no") : (isTrue ? "true" : "false")
        case .integer, .text: return value
        }
    }
}
