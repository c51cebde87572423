/// Transaction ids in words for `reimbursement_skip.detail`: "credit 7", "credits 7, 8, 9",
/// at most ten ids and then how many more, so a detail stays readable for a customer with
/// thousands of credits.
public enum TransactionList {
    /// How many ids are written out.
    public static let shown = 10

    /// `ids` ascending, in words.
    public static func credits(_ ids: some Collection<Int64>) -> String {
        let sorted = ids.sorted()
        let head = sorted.prefix(shown).map(String.init).joined(separator: ", ")
        let more = sorted.count > shown ? " and \(sorted.count - shown) more" : ""
        return (sorted.count == 1 ? "credit " : "credits ") + head + more
    }
}
