/// The open debits of one (customer, currency) as a preview saw them: an approval posts a
/// netting proposal only when they are unchanged, not only the netted ones (PRODUCT.md §7).
public struct OpenDebits: Sendable, Hashable {
    /// Every open debit of the currency, ascending.
    public var ids: [Int64]
    /// Their open amount in all, positive, in the currency.
    public var amount: Money
    /// Their open amount in all, in accounting currency.
    public var amountAccounting: Money

    /// All fields.
    public init(ids: [Int64], amount: Money, amountAccounting: Money) {
        self.ids = ids
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}
