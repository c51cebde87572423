/// The netting of one (customer, currency) before anything is decided about posting it
/// (PRODUCT.md §7), worked out by ``NettingLedger``.
struct CurrencyNetting {
    /// One group of credits netted against debits: the whole currency, or with
    /// `summarize = false` one ledger account.
    struct Group {
        /// The ledger account of the group with `summarize = false`; `nil` for the whole currency.
        var ledgerAccount: Code?
        /// Oldest first.
        var pieces: [PlannedNettingPiece]
        /// Indices (into the customer's transactions) of the credits still open after
        /// netting, in the planner's credit order (ledger account, then id).
        var remainingCredits: [Int]
        /// What is left of the group's credits after netting, positive, in the currency.
        var remainder: Int128
    }

    var currency: Code
    /// Ascending by ledger account with `summarize = false`; one group otherwise.
    var groups: [Group]
    /// R: the currency's open credits minus what is netted, positive or zero.
    var remainder: Int128
    /// R in accounting currency: the credits' open accounting amounts minus their netted shares.
    var remainderAccounting: Int128
    /// Every open debit of the currency before netting.
    var openDebits: OpenDebits
}
