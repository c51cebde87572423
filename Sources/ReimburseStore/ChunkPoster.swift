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

    /// Settles each credit by exactly its remaining amount; the returned count proves every
    /// credit the plan settles was still open and locked. A function (sql/0022) so that the
    /// plan is one primary-key probe per credit whatever the statistics: sent as a statement,
    /// it was a hash join over every transaction of the company, per chunk.
    static let settleCreditsSQL = """
        SELECT customer_transaction_settle_credits($1, $2::bigint[], $3::numeric[], $4::numeric[])
        """

    /// Writes the plans of `planned` (a whole chunk, or one customer when the chunk is posted
    /// customer by customer): proposals and skips in a preview; reimbursements, their rows
    /// and skips otherwise. A plan's accounting amounts may be zero (a residue) and are
    /// written as they are.
    func post(_ planned: [(customer: CustomerFacts, plan: CustomerPlan)]) throws {
        var skipRows: [[any PostgresEncodable]] = []
        for (customer, plan) in planned {
            for skip in plan.skips {
                skipRows.append([
                    job.id, job.companyID, customer.account, skip.currency, skip.reason.rawValue,
                    skip.creditBalance, skip.creditBalanceAccounting, skip.detail,
                ])
            }
        }
        if job.engineMode == .preview {
            var proposalRows: [[any PostgresEncodable]] = []
            let nets = job.debitHandling == DebitHandling.net.rawValue
            for (customer, plan) in planned {
                for proposal in plan.proposals where nets {
                    proposalRows.append(NettingRows.proposalRow(job, customer.account, proposal))
                }
                for proposal in plan.proposals where !nets {
                    proposalRows.append([
                        job.id, job.companyID, customer.account, proposal.vendorAccount, proposal.currency,
                        proposal.amount, proposal.amountAccounting, proposal.creditTransactionIds,
                    ])
                }
            }
            try (nets ? NettingRows.proposals : Self.proposals).write(proposalRows, on: connection, staged: stagedWrites)
            try Self.skips.write(skipRows, on: connection, staged: stagedWrites)
            return
        }
        try postReimbursements(planned)
        try Self.skips.write(skipRows, on: connection, staged: stagedWrites)
    }

    private func postReimbursements(_ planned: [(customer: CustomerFacts, plan: CustomerPlan)]) throws {
        var reimbursementCount = 0
        var debitCount = 0
        var settlementCount = 0
        var vendorsToCreate = 0
        for (_, plan) in planned {
            let reimbursements = plan.reimbursements
            guard !reimbursements.isEmpty else { continue }
            reimbursementCount += reimbursements.count
            for reimbursement in reimbursements {
                debitCount += reimbursement.debits.count
                for debit in reimbursement.debits { settlementCount += debit.settlements.count }
            }
            if case .createOneTime = plan.vendor { vendorsToCreate += 1 }
            settlementCount += NettingRows.pieceCount(plan)
        }
        guard reimbursementCount > 0 else { return }

        var numbers = try NumberSequences.lock(companyID: job.companyID, on: connection)
        var ids = try IdentityReservation.reserve(
            reimbursements: reimbursementCount, transactions: debitCount, settlements: settlementCount, on: connection)

        var vendorRows: [[any PostgresEncodable]] = []
        var transactionRows: [[any PostgresEncodable]] = []
        var reimbursementRows: [[any PostgresEncodable]] = []
        var invoiceRows: [[any PostgresEncodable]] = []
        var settlementRows: [[any PostgresEncodable]] = []
        var ledgerRows: [[any PostgresEncodable]] = []
        var settledIDs: [Int64] = []
        var settledAmounts: [Money] = []
        var settledAccounting: [Money] = []
        var netting = NettingRows()
        var vendorBankAccounts = OneTimeVendorBankAccounts()
        vendorRows.reserveCapacity(vendorsToCreate)
        transactionRows.reserveCapacity(debitCount)
        settlementRows.reserveCapacity(settlementCount)
        settledIDs.reserveCapacity(settlementCount)

        for (customer, plan) in planned {
            let reimbursements = plan.reimbursements
            guard !reimbursements.isEmpty, let vendor = plan.vendor else { continue }
            let vendorAccount: String
            let created: Bool
            switch vendor {
            case .existing(let account), .existingOneTime(let account):
                vendorAccount = account.text
                created = false
            case .createOneTime:
                vendorAccount = try numbers.next("one_time_vendor")
                created = true
                vendorRows.append([
                    job.companyID, vendorAccount,
                    withoutName.contains(customer.account) ? nil : customer.name,
                    company.oneTimeVendorGroup.isEmpty ? nil : company.oneTimeVendorGroup,
                    customer.currency,
                    withoutAddress.contains(customer.account) ? nil : customer.address,
                    true, customer.account,
                ])
                vendorBankAccounts.add(vendorAccount: vendorAccount, customerAccount: customer.account.text)
            }
            for reimbursement in reimbursements {
                let reimbursementID = ids.nextReimbursement()
                let invoiceID = ids.nextVendorInvoice()
                let voucher = try numbers.next("reimbursement_voucher")
                let invoiceNumber = try numbers.next("vendor_invoice")
                reimbursementRows.append([
                    job.companyID, reimbursementID, job.id, customer.account, vendorAccount, created,
                    reimbursement.currency, reimbursement.amount, reimbursement.amountAccounting, voucher,
                    postingDate, invoiceID,
                ])
                invoiceRows.append([
                    job.companyID, invoiceID, vendorAccount, invoiceNumber, voucher, postingDate,
                    reimbursement.dueDate, reimbursement.currency, reimbursement.amount,
                    reimbursement.amountAccounting, reimbursementID,
                ])
                for debit in reimbursement.debits {
                    let debitID = ids.nextTransaction()
                    transactionRows.append([
                        job.companyID, debitID, customer.account, voucher, postingDate, "reimbursement",
                        reimbursement.currency, debit.amount, debit.amountAccounting, debit.amount,
                        debit.amountAccounting, debit.ledgerAccount,
                    ])
                    for settlement in debit.settlements {
                        settlementRows.append([
                            job.companyID, ids.nextSettlement(), job.id, reimbursementID, debitID,
                            settlement.creditTransactionId, reimbursement.currency, settlement.amount,
                            settlement.amountAccounting, postingDate,
                        ])
                        settledIDs.append(settlement.creditTransactionId)
                        settledAmounts.append(settlement.amount)
                        settledAccounting.append(settlement.amountAccounting)
                    }
                }
                netting.add(
                    reimbursement, reimbursementID: reimbursementID, customer: customer, job: job,
                    postingDate: postingDate, ids: &ids)
                for (index, line) in reimbursement.voucherLines.enumerated() {
                    ledgerRows.append([
                        job.companyID, voucher, index + 1, postingDate, line.account, line.postingType.rawValue,
                        reimbursement.currency, line.amount, line.amountAccounting, reimbursementID,
                    ])
                }
            }
        }

        // Order follows the foreign keys: vendors before invoices, reimbursements before the
        // rows that point at them.
        try Self.vendors.write(vendorRows, on: connection, staged: stagedWrites)
        try vendorBankAccounts.write(companyID: job.companyID, on: connection)
        try Self.transactions.write(transactionRows, on: connection, staged: stagedWrites)
        try Self.reimbursements.write(reimbursementRows, on: connection, staged: stagedWrites)
        try Self.vendorInvoices.write(invoiceRows, on: connection, staged: stagedWrites)
        try Self.settlements.write(settlementRows, on: connection, staged: stagedWrites)
        try Self.ledgerEntries.write(ledgerRows, on: connection, staged: stagedWrites)
        try netting.write(on: connection, job: job, staged: stagedWrites)
        let settled = try connection.queryValue(
            Int.self, Self.settleCreditsSQL, job.companyID, settledIDs, settledAmounts, settledAccounting) ?? 0
        guard settled == settledIDs.count else {
            throw JobFailure(
                "job \(job.id): \(settledIDs.count - settled) credit(s) changed while the chunk held "
                    + "their lock; nothing of the chunk was posted")
        }
        try numbers.save(on: connection)
    }
}
