/// The netting of one proposal, as `reimbursement_proposal` records it (`netted_amount`,
/// `netted_amount_accounting`, `netted_debit_ids`, and the open debits the approval compares).
public struct NettingSummary: Sendable, Hashable {
    /// Positive (or zero), the sum of the pieces, in the currency.
    public var nettedAmount: Money
    /// The credit side's accounting amounts of the pieces, summed.
    public var nettedAmountAccounting: Money
    /// The debits netted, ascending.
    public var nettedDebitIds: [Int64]
    /// Every open debit of the currency when previewed.
    public var openDebits: OpenDebits

    /// All fields.
    public init(nettedAmount: Money, nettedAmountAccounting: Money, nettedDebitIds: [Int64], openDebits: OpenDebits) {
        self.nettedAmount = nettedAmount
        self.nettedAmountAccounting = nettedAmountAccounting
        self.nettedDebitIds = nettedDebitIds
        self.openDebits = openDebits
    }
}
