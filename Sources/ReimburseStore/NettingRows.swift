import Postgres
import ReimburseEngine

/// The rows of netting (PRODUCT.md §7) that a chunk writes beside its reimbursements, in the
/// same transaction: one `customer_settlement` of kind `netting` per piece, and the settled
/// amounts of both sides. The voucher lines are part of the reimbursement's voucher and are
/// written with it.
struct NettingRows {
    static let settlements = BulkTableWriter(
        table: "customer_settlement",
        columns: [
            ("company_id", "text"), ("id", "bigint"), ("job_id", "bigint"), ("reimbursement_id", "bigint"),
            ("debit_transaction_id", "bigint"), ("credit_transaction_id", "bigint"),
            ("currency", "currency_code"), ("amount", "numeric"), ("amount_accounting", "numeric"),
            ("settled_on", "date"), ("kind", "text"), ("debit_amount_accounting", "numeric")])
    static let proposals = BulkTableWriter(
        table: "reimbursement_proposal",
        columns: [
            ("job_id", "bigint"), ("company_id", "text"), ("customer_account", "text"),
            ("vendor_account", "text"), ("currency", "currency_code"), ("amount", "numeric"),
            ("amount_accounting", "numeric"), ("credit_transaction_ids", "bigint[]"),
            ("netted_amount", "numeric"), ("netted_amount_accounting", "numeric"),
            ("netted_debit_ids", "bigint[]"), ("open_debit_ids", "bigint[]"), ("open_debit_amount", "numeric"),
            ("open_debit_amount_accounting", "numeric")])

    /// Settles both sides of the pieces by what they net, each transaction at most once, only
    /// while it is still open by exactly what the plan saw: the returned count proves it.
    static let settleSQL = """
        SELECT customer_transaction_settle_netting($1, $2::bigint[], $3::numeric[], $4::numeric[], $5::numeric[])
        """

    /// How many pieces a plan nets (settlement ids to reserve).
    static func pieceCount(_ plan: CustomerPlan) -> Int {
        plan.reimbursements.reduce(0) { $0 + ($1.netting?.pieces.count ?? 0) }
    }

    /// A proposal row of a `net` job: the ordinary columns, then the netting.
    static func proposalRow(_ job: StoredJob, _ customer: Code, _ proposal: ReimbursementProposal) -> [any PostgresEncodable] {
        let netting = proposal.netting
        return [
            job.id, job.companyID, customer, proposal.vendorAccount, proposal.currency, proposal.amount,
            proposal.amountAccounting, proposal.creditTransactionIds, netting?.nettedAmount ?? .zero,
            netting?.nettedAmountAccounting ?? .zero, netting?.nettedDebitIds ?? [], netting?.openDebits.ids,
            netting?.openDebits.amount, netting?.openDebits.amountAccounting,
        ]
    }

    private var rows: [[any PostgresEncodable]] = []
    /// Per transaction: signed change of settled_amount and settled_amount_accounting, and its
    /// open amount before.
    private var changes: [Int64: (amount: Int128, accounting: Int128, openBefore: Int128)] = [:]

    /// Adds the pieces of one reimbursement, settled under `reimbursementID` on `postingDate`.
    mutating func add(
        _ reimbursement: PlannedReimbursement, reimbursementID: Int64, customer: CustomerFacts, job: StoredJob,
        postingDate: LocalDate, ids: inout IdentityReservation
    ) {
        guard let pieces = reimbursement.netting?.pieces, !pieces.isEmpty else { return }
        var openBefore: [Int64: Int128] = [:]
        for transaction in customer.transactions {
            openBefore[transaction.id] = transaction.amount.microUnits - transaction.settledAmount.microUnits
        }
        for piece in pieces {
            rows.append([
                job.companyID, ids.nextSettlement(), job.id, reimbursementID, piece.debitTransactionId,
                piece.creditTransactionId, reimbursement.currency, piece.amount, piece.amountAccounting, postingDate,
                "netting", piece.debitAmountAccounting,
            ])
            let credit = piece.creditTransactionId
            let debit = piece.debitTransactionId
            changes[credit, default: (0, 0, openBefore[credit] ?? 0)].amount -= piece.amount.microUnits
            changes[credit, default: (0, 0, openBefore[credit] ?? 0)].accounting -= piece.amountAccounting.microUnits
            changes[debit, default: (0, 0, openBefore[debit] ?? 0)].amount += piece.amount.microUnits
            changes[debit, default: (0, 0, openBefore[debit] ?? 0)].accounting += piece.debitAmountAccounting.microUnits
        }
    }

    /// Sends the settlement rows and the settling of both sides; send before the remainders of
    /// the credits are settled (those expect the netted part already settled). The count the
    /// function returns is checked once the batch has run.
    func write(to statements: ChunkStatements, job: StoredJob) throws {
        guard !rows.isEmpty else { return }
        try statements.write(Self.settlements, rows)
        var ids: [Int64] = []
        var amounts: [Money] = []
        var accounting: [Money] = []
        var openBefore: [Money] = []
        for (id, change) in changes {
            ids.append(id)
            // Parts of open amounts (and open amounts) of rows read from numeric(24,6).
            amounts.append(Money(microUnits: change.amount) ?? .zero)
            accounting.append(Money(microUnits: change.accounting) ?? .zero)
            openBefore.append(Money(microUnits: change.openBefore) ?? .zero)
        }
        let expected = ids.count
        let jobID = job.id
        try statements.execute(Self.settleSQL, [job.companyID, ids, amounts, accounting, openBefore]) { result in
            let settled = try result.first?.decode(Int.self, at: 0) ?? 0
            guard settled == expected else {
                throw JobFailure(
                    "job \(jobID): \(expected - settled) netted transaction(s) changed while the chunk held "
                        + "their lock; nothing of the chunk was posted")
            }
        }
    }
}
