import Postgres
import ReimburseEngine

/// Turns the plans of one chunk into rows and writes them, inside the chunk's transaction.
struct ChunkPoster {
    let connection: PostgresConnection
    let job: StoredJob
    let company: CompanyRules
    let postingDate: LocalDate
    let stagedWrites: Bool
    /// Customers whose name or address is NULL: a one-time vendor copies the NULL, not the
    /// empty text the engine sees.
    var withoutName: Set<Code> = []
    var withoutAddress: Set<Code> = []

    static let vendors = BulkTableWriter(
        table: "vendor",
        columns: [
            ("company_id", "text"), ("account", "text"), ("name", "text"), ("vendor_group", "text"),
            ("currency", "currency_code"), ("address", "text"), ("one_time", "boolean"),
            ("customer_account", "text")])
    static let transactions = BulkTableWriter(
        table: "customer_transaction",
        columns: [
            ("company_id", "text"), ("id", "bigint"), ("customer_account", "text"), ("voucher", "text"),
            ("transaction_date", "date"), ("kind", "text"), ("currency", "currency_code"), ("amount", "numeric"),
            ("amount_accounting", "numeric"), ("settled_amount", "numeric"),
            ("settled_amount_accounting", "numeric"), ("ledger_account", "text")])
    static let reimbursements = BulkTableWriter(
        table: "reimbursement",
        columns: [
            ("company_id", "text"), ("id", "bigint"), ("job_id", "bigint"), ("customer_account", "text"),
            ("vendor_account", "text"), ("one_time_vendor_created", "boolean"), ("currency", "currency_code"),
            ("amount", "numeric"), ("amount_accounting", "numeric"), ("voucher", "text"),
            ("posting_date", "date"), ("vendor_invoice_id", "bigint")])
    static let vendorInvoices = BulkTableWriter(
        table: "vendor_invoice",
        columns: [
            ("company_id", "text"), ("id", "bigint"), ("vendor_account", "text"), ("invoice_number", "text"),
            ("voucher", "text"), ("invoice_date", "date"), ("due_date", "date"), ("currency", "currency_code"),
            ("amount", "numeric"), ("amount_accounting", "numeric"), ("reimbursement_id", "bigint")])
    static let settlements = BulkTableWriter(
        table: "customer_settlement",
        columns: [
            ("company_id", "text"), ("id", "bigint"), ("job_id", "bigint"), ("reimbursement_id", "bigint"),
            ("debit_transaction_id", "bigint"), ("credit_transaction_id", "bigint"),
            ("currency", "currency_code"), ("amount", "numeric"), ("amount_accounting", "numeric"),
            ("settled_on", "date")])
    static let ledgerEntries = BulkTableWriter(
        table: "ledger_entry",
        columns: [
            ("company_id", "text"), ("voucher", "text"), ("line", "integer"), ("posting_date", "date"),
            ("account", "text"), ("posting_type", "text"), ("currency", "currency_code"), ("amount", "numeric"),
            ("amount_accounting", "numeric"), ("reimbursement_id", "bigint")])
    static let skips = BulkTableWriter(
        table: "reimbursement_skip",
        columns: [
            ("job_id", "bigint"), ("company_id", "text"), ("customer_account", "text"),
            ("currency", "currency_code"), ("reason", "text"), ("credit_balance", "numeric"),
            ("credit_balance_accounting", "numeric"), ("detail", "text")])
    static let proposals = BulkTableWriter(
        table: "reimbursement_proposal",
        columns: [
            ("job_id", "bigint"), ("company_id", "text"), ("customer_account", "text"),
            ("vendor_account", "text"), ("currency", "currency_code"), ("amount", "numeric"),
            ("amount_accounting", "numeric"), ("credit_transaction_ids", "bigint[]")])

    /// Writes the plans of `planned` (a whole chunk, or one customer when the chunk is posted
    /// customer by customer): proposals and skips in a preview; reimbursements, their rows
    /// and skips otherwise. A plan's accounting amounts may be zero (a residue) and are
    /// written as they are.
    ///
    /// Inside savepoint `savepoint` when given: it is opened in the posting's first round trip
    /// and released in its last, and rolled back when the posting fails (the error is
    /// rethrown, the transaction stays usable). Two round trips at most for a row-secured
    /// login: the number sequences and ids, then every write (``ChunkStatements``).
    func post(_ planned: [(customer: CustomerFacts, plan: CustomerPlan)], savepoint: String? = nil) throws {
        let quoted = try savepoint.map { try connection.quoteIdentifier($0) }
        do {
            try post(planned, quotedSavepoint: quoted)
        } catch {
            if let quoted, connection.isConnected { _ = try? connection.execute("ROLLBACK TO SAVEPOINT \(quoted)") }
            throw error
        }
    }

    private func post(_ planned: [(customer: CustomerFacts, plan: CustomerPlan)], quotedSavepoint: String?) throws {
        var skipRows: [[any PostgresEncodable]] = []
        for (customer, plan) in planned {
            for skip in plan.skips {
                skipRows.append([
                    job.id, job.companyID, customer.account, skip.currency, skip.reason.rawValue,
                    skip.creditBalance, skip.creditBalanceAccounting, skip.detail,
                ])
            }
        }
        var savepointOpen = false
        var reimbursements: ReimbursementRows?
        if job.engineMode != .preview {
            let counts = ReimbursementRows.Counts(planned)
            if counts.reimbursements > 0 {
                let (numbers, ids) = try reserve(counts, savepoint: quotedSavepoint)
                savepointOpen = true
                reimbursements = try ReimbursementRows(planned, counts: counts, poster: self, numbers: numbers, ids: ids)
            }
        }
        try ChunkStatements.run(on: connection, staged: stagedWrites) { statements in
            if let quotedSavepoint, !savepointOpen { try statements.execute("SAVEPOINT \(quotedSavepoint)", []) }
            if job.engineMode == .preview {
                let nets = job.debitHandling == DebitHandling.net.rawValue
                try statements.write(nets ? NettingRows.proposals : Self.proposals, proposalRows(planned, nets: nets))
            }
            try reimbursements?.write(to: statements)
            try statements.write(Self.skips, skipRows)
            if let quotedSavepoint { try statements.execute("RELEASE SAVEPOINT \(quotedSavepoint)", []) }
        }
    }

    /// Opens the savepoint, locks the company's number sequences and reserves the ids, in one
    /// round trip.
    private func reserve(
        _ counts: ReimbursementRows.Counts, savepoint quoted: String?
    ) throws -> (NumberSequences, IdentityReservation) {
        var statements: [PostgresStatement] = []
        if let quoted { statements.append(PostgresStatement("SAVEPOINT \(quoted)")) }
        statements.append(PostgresStatement(NumberSequences.lockSQL, job.companyID))
        statements.append(PostgresStatement(
            IdentityReservation.sql, counts.reimbursements, counts.debits, counts.settlements))
        let results = try connection.pipeline(statements)
        let numbers = try NumberSequences(companyID: job.companyID, locked: results[results.count - 2])
        let ids = try IdentityReservation(results[results.count - 1])
        return (numbers, ids)
    }

    private func proposalRows(
        _ planned: [(customer: CustomerFacts, plan: CustomerPlan)], nets: Bool
    ) -> [[any PostgresEncodable]] {
        var rows: [[any PostgresEncodable]] = []
        for (customer, plan) in planned {
            for proposal in plan.proposals {
                rows.append(nets ? NettingRows.proposalRow(job, customer.account, proposal) : [
                    job.id, job.companyID, customer.account, proposal.vendorAccount, proposal.currency,
                    proposal.amount, proposal.amountAccounting, proposal.creditTransactionIds,
                ])
            }
        }
        return rows
    }
}
