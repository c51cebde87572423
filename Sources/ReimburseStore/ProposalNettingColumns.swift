import Postgres
import ReimburseEngine

/// The netting columns of `reimbursement_proposal` (PRODUCT.md §7), read back for an approval.
enum ProposalNettingColumns {
    /// `netted_amount, netted_amount_accounting, netted_debit_ids, open_debit_ids,
    /// open_debit_amount, open_debit_amount_accounting` from column `start` on; `nil` for a
    /// proposal of a job that did not net (`open_debit_ids` NULL).
    static func decode(_ row: PostgresRow, from start: Int) throws -> NettingSummary? {
        guard let openDebitIDs = try row.decode([Int64]?.self, at: start + 3) else { return nil }
        return NettingSummary(
            nettedAmount: try row.decode(at: start),
            nettedAmountAccounting: try row.decode(at: start + 1),
            nettedDebitIds: try row.decode([Int64].self, at: start + 2),
            openDebits: OpenDebits(
                ids: openDebitIDs,
                amount: try row.decode(at: start + 4),
                amountAccounting: try row.decode(at: start + 5)))
    }
}
