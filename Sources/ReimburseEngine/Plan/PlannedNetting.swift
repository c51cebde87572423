/// What a reimbursement of a `net` job settles by netting before it reimburses the remainder
/// (PRODUCT.md §7): its pieces, posted in its atomic unit and voucher, and the currency's open
/// debits as they were when planned.
public struct PlannedNetting: Sendable, Hashable {
    /// Oldest first (credits and debits by transaction date, then id).
    public var pieces: [PlannedNettingPiece]
    /// Every open debit of the currency before netting (all ledger accounts).
    public var openDebits: OpenDebits

    /// All fields.
    public init(pieces: [PlannedNettingPiece], openDebits: OpenDebits) {
        self.pieces = pieces
        self.openDebits = openDebits
    }

    /// The summary a proposal records.
    public var summary: NettingSummary {
        var amount: Int128 = 0
        var amountAccounting: Int128 = 0
        var debits = Set<Int64>()
        for piece in pieces {
            amount += piece.amount.microUnits
            amountAccounting += piece.amountAccounting.microUnits
            debits.insert(piece.debitTransactionId)
        }
        // Parts of open amounts that fit, so the sums fit.
        return NettingSummary(
            nettedAmount: Money(uncheckedMicroUnits: amount),
            nettedAmountAccounting: Money(uncheckedMicroUnits: amountAccounting),
            nettedDebitIds: debits.sorted(),
            openDebits: openDebits)
    }
}
