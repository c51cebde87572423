import Postgres
import ReimburseEngine

/// The rows of the reimbursements of one posting (a chunk, or one customer of it): one-time
/// vendors and their bank accounts, debit transactions, reimbursements, vendor invoices,
/// settlements, voucher lines, netting, the settled amounts of the credits and the numbers
/// taken. Built before anything is written, so that they are then sent in one batch
/// (``ChunkStatements``).
struct ReimbursementRows {
    /// How many ids and numbers the plans need, counted before they are reserved.
    struct Counts {
        var reimbursements = 0
        var debits = 0
        var settlements = 0
        var vendorsToCreate = 0

        init(_ planned: [(customer: CustomerFacts, plan: CustomerPlan)]) {
            for (_, plan) in planned {
                let reimbursements = plan.reimbursements
                guard !reimbursements.isEmpty else { continue }
                self.reimbursements += reimbursements.count
                for reimbursement in reimbursements {
                    debits += reimbursement.debits.count
                    for debit in reimbursement.debits { settlements += debit.settlements.count }
                }
                if case .createOneTime = plan.vendor { vendorsToCreate += 1 }
                settlements += NettingRows.pieceCount(plan)
            }
        }
    }

    private let job: StoredJob
    private var vendors: [[any PostgresEncodable]] = []
    private var transactions: [[any PostgresEncodable]] = []
    private var reimbursements: [[any PostgresEncodable]] = []
    private var invoices: [[any PostgresEncodable]] = []
    private var settlements: [[any PostgresEncodable]] = []
    private var ledgerEntries: [[any PostgresEncodable]] = []
    private var settledIDs: [Int64] = []
    private var settledAmounts: [Money] = []
    private var settledAccounting: [Money] = []
    private var netting = NettingRows()
    private var vendorBankAccounts = OneTimeVendorBankAccounts()
    private let numbers: NumberSequences

    /// Turns the plans into rows with the reserved `ids` and numbers taken from `numbers`.
    /// Throws ``JobFailure`` when a number sequence is exhausted.
    init(
        _ planned: [(customer: CustomerFacts, plan: CustomerPlan)], counts: Counts, poster: ChunkPoster,
        numbers: NumberSequences, ids: IdentityReservation
    ) throws {
        job = poster.job
        var numbers = numbers
        var ids = ids
        let postingDate = poster.postingDate
        vendors.reserveCapacity(counts.vendorsToCreate)
        reimbursements.reserveCapacity(counts.reimbursements)
        invoices.reserveCapacity(counts.reimbursements)
        transactions.reserveCapacity(counts.debits)
        settlements.reserveCapacity(counts.settlements)
        settledIDs.reserveCapacity(counts.settlements)
        settledAmounts.reserveCapacity(counts.settlements)
        settledAccounting.reserveCapacity(counts.settlements)

        for (customer, plan) in planned {
            let planned = plan.reimbursements
            guard !planned.isEmpty, let vendor = plan.vendor else { continue }
            let vendorAccount: String
            let created: Bool
            switch vendor {
            case .existing(let account), .existingOneTime(let account):
                vendorAccount = account.text
                created = false
            case .createOneTime:
                vendorAccount = try numbers.next("one_time_vendor")
                created = true
                vendors.append([
                    job.companyID, vendorAccount,
                    poster.withoutName.contains(customer.account) ? nil : customer.name,
                    poster.company.oneTimeVendorGroup.isEmpty ? nil : poster.company.oneTimeVendorGroup,
                    customer.currency,
                    poster.withoutAddress.contains(customer.account) ? nil : customer.address,
                    true, customer.account,
                ])
                vendorBankAccounts.add(vendorAccount: vendorAccount, customerAccount: customer.account.text)
            }
            for reimbursement in planned {
                let reimbursementID = ids.nextReimbursement()
                let invoiceID = ids.nextVendorInvoice()
                let voucher = try numbers.next("reimbursement_voucher")
                let invoiceNumber = try numbers.next("vendor_invoice")
                reimbursements.append([
                    job.companyID, reimbursementID, job.id, customer.account, vendorAccount, created,
                    reimbursement.currency, reimbursement.amount, reimbursement.amountAccounting, voucher,
                    postingDate, invoiceID,
                ])
                invoices.append([
                    job.companyID, invoiceID, vendorAccount, invoiceNumber, voucher, postingDate,
                    reimbursement.dueDate, reimbursement.currency, reimbursement.amount,
                    reimbursement.amountAccounting, reimbursementID,
                ])
                for debit in reimbursement.debits {
                    let debitID = ids.nextTransaction()
                    transactions.append([
                        job.companyID, debitID, customer.account, voucher, postingDate, "reimbursement",
                        reimbursement.currency, debit.amount, debit.amountAccounting, debit.amount,
                        debit.amountAccounting, debit.ledgerAccount,
                    ])
                    for settlement in debit.settlements {
                        settlements.append([
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
                    ledgerEntries.append([
                        job.companyID, voucher, index + 1, postingDate, line.account, line.postingType.rawValue,
                        reimbursement.currency, line.amount, line.amountAccounting, reimbursementID,
                    ])
                }
            }
        }
        self.numbers = numbers
    }

    /// Settles each credit by exactly its remaining amount; the returned count proves every
    /// credit the plan settles was still open and locked. A function (sql/0022) so that the
    /// plan is one primary-key probe per credit whatever the statistics: sent as a statement,
    /// it was a hash join over every transaction of the company, per chunk.
    static let settleCreditsSQL = """
        SELECT customer_transaction_settle_credits($1, $2::bigint[], $3::numeric[], $4::numeric[])
        """

    /// Sends the rows, the settling of the credits and the numbers taken. Order follows the
    /// references: vendors before invoices, reimbursements before the rows that point at them,
    /// netting before the remainders of the credits (those expect the netted part settled).
    func write(to statements: ChunkStatements) throws {
        try statements.write(ChunkPoster.vendors, vendors)
        try vendorBankAccounts.write(companyID: job.companyID, to: statements)
        try statements.write(ChunkPoster.transactions, transactions)
        try statements.write(ChunkPoster.reimbursements, reimbursements)
        try statements.write(ChunkPoster.vendorInvoices, invoices)
        try statements.write(ChunkPoster.settlements, settlements)
        try statements.write(ChunkPoster.ledgerEntries, ledgerEntries)
        try netting.write(to: statements, job: job)
        let expected = settledIDs.count
        let jobID = job.id
        try statements.execute(Self.settleCreditsSQL, [job.companyID, settledIDs, settledAmounts, settledAccounting]) { result in
            let settled = try result.first?.decode(Int.self, at: 0) ?? 0
            guard settled == expected else {
                throw JobFailure(
                    "job \(jobID): \(expected - settled) credit(s) changed while the chunk held "
                        + "their lock; nothing of the chunk was posted")
            }
        }
        try numbers.save(to: statements)
    }
}
