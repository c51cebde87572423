/// PostgreSQL prints `numeric(24,6)` with all six decimals; people read money with two.
/// Only trailing zeros go, so the text stays exact: 125.500000 -> 125.50, 0.000001 stays.
enum DecimalDisplay {
    static func trimmed(_ text: String) -> String {
        guard let point = text.firstIndex(of: ".") else { return text }
        var result = text
        let minimumEnd = text.index(point, offsetBy: 3, limitedBy: text.endIndex) ?? text.endIndex
        while result.endIndex > minimumEnd, result.last == "0" {
            result.removeLast()
        }
        return result
    }
}
