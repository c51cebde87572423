/// How a column's text is shown: amounts right-aligned and kept as strings in JSON (exact),
/// counts as JSON numbers, flags as JSON booleans.
enum ColumnKind: Sendable {
    case text
    case integer
    case amount
    case boolean

    var isRightAligned: Bool { isNumber }

    /// Columns whose text this program gets from PostgreSQL's numeric or bigint output.
    var isNumber: Bool { self == .integer || self == .amount }
}
