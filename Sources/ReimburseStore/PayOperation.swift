import Foundation
import Postgres
import PaymentDocument
import ReimburseEngine

/// `operation = 'pay'` (PRODUCT.md section 9): vendor invoices keyed by id, planned by
/// ``PaymentPlanner``, posted by ``PaymentPoster``; the documents are written by
/// ``PaymentFileWriter`` when the job ends (succeeded, or cancelled: what was paid is in a
/// document either way). Keys are stored in the job's checkpoint columns as decimal text.
struct PayOperation: JobOperation {
    let job: StoredJob
    let settings: PaymentRunSettings
    let executionDate: LocalDate
    let planner: PaymentPlanner

    init(job: StoredJob, company: CompanyRules, settings: PaymentRunSettings, executionDate: LocalDate) {
        self.job = job
        self.settings = settings
        self.executionDate = executionDate
        self.planner = PaymentPlanner(
            mode: job.engineMode, debtorIBAN: settings.debtorIBAN, vendorSummaryAccount: company.vendorSummaryAccount,
            bankLedgerAccount: settings.bankLedgerAccount)
    }

    private func loader(_ connection: PostgresConnection) -> PaymentLoader {
        PaymentLoader(connection: connection, job: job, settings: settings, executionDate: executionDate)
    }

    func storedKey(_ key: Int64) -> Code { Code(String(key)) }

    func key(stored: Code) throws -> Int64 {
        guard let id = Int64(stored.text) else {
            throw JobFailure("job \(job.id): its checkpoint '\(stored.text)' is not a vendor invoice id")
        }
        return id
    }

    func countSelected(on connection: PostgresConnection) throws -> Int { try loader(connection).countSelected() }

    func nextKeys(after: Int64?, limit: Int, on connection: PostgresConnection) throws -> [Int64] {
        try loader(connection).nextKeys(after: after, limit: limit)
    }

    func lock(_ keys: [Int64], on connection: PostgresConnection) throws -> PaymentLoader.Chunk {
        try loader(connection).lock(keys)
    }

    /// Plans and posts the chunk in one go inside a savepoint; when the database refuses rows of
    /// one invoice, posts them one by one (``UnitByUnitPosting``), and an invoice still refused is skipped
    /// `invalid_data` with the database's words.
    func process(
        _ chunk: PaymentLoader.Chunk, tally: PaymentTally, stagedWrites: Bool, on connection: PostgresConnection
    ) throws -> PaymentTally {
        guard !chunk.invoices.isEmpty else { return tally }
        let plans = chunk.invoices.map { planner.plan($0, proposal: chunk.proposals[$0.id]) }
        let poster = PaymentPoster(connection: connection, job: job, executionDate: executionDate)
        let posted = try UnitByUnitPosting.post(
            chunk.invoices, plans: plans, savepoints: ("pay_chunk", "pay_one"), on: connection,
            post: { try poster.post($0) },
            refused: { invoice, error in
                PaymentPlan.skip(PlannedPaymentSkip(
                    invoice: invoice, reason: .invalidData,
                    detail: "vendor invoice \(invoice.invoiceNumber): the database refused the payment: \(error.message)"))
            })
        var newTally = tally
        do {
            for plan in posted { try newTally.record(plan) }
        } catch {
            throw JobFailure("\(error)")
        }
        return newTally
    }

    func finish(tally: PaymentTally, on connection: PostgresConnection) throws -> PaymentTally {
        var final = tally
        final.files += try PaymentFileWriter(connection: connection, job: job, settings: settings).write()
        return final
    }

    func storedTally(_ result: String?) throws -> PaymentTally {
        guard let result, !result.isEmpty else { return PaymentTally() }
        return try PaymentTally(storedResult: result)
    }

    func resultJSON(_ tally: PaymentTally) -> String { tally.resultJSON() }

    /// Invoices stand in for customers: selected, paid as "reimbursed" and as postings.
    func outcomeTally(_ tally: PaymentTally) -> JobTally {
        JobTally(
            selected: tally.selected, reimbursedCustomers: tally.paid,
            skipped: [.invalidData: tally.skipped[.invalidData] ?? 0,
                      .changedSincePreview: tally.skipped[.changedSincePreview] ?? 0].filter { $0.value != 0 },
            reimbursements: tally.paid, totals: tally.totals)
    }

    func waitReason(locked: [Int64]) -> String {
        JobRunner.waitReason(locked: locked.map(String.init), what: "vendor invoices")
    }
}

extension PaymentTally {
    /// Rebuilds the tally from the `result` a chunk saved, so a resumed job counts each invoice once.
    init(storedResult text: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw JobFailure("the job's saved result is not in the expected shape: \(text.prefix(200))")
        }
        self.init()
        guard let counts = object["payment"] as? [String: Any] else { return }
        func count(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }
        selected = count(counts["selected"])
        paid = count(counts["paid"])
        files = count(object["files"])
        for (reason, value) in counts["skipped"] as? [String: Any] ?? [:] {
            guard let skipReason = PaymentSkipReason(rawValue: reason) else {
                throw JobFailure("the job's saved result names an unknown skip reason \(reason)")
            }
            if count(value) != 0 { skipped[skipReason] = count(value) }
        }
        for (currency, value) in object["totals"] as? [String: Any] ?? [:] {
            guard let entry = value as? [String: Any],
                  let amount = (entry["amount"] as? String).flatMap(Money.init(exactly:)),
                  let accounting = (entry["amount_accounting"] as? String).flatMap(Money.init(exactly:))
            else { throw JobFailure("the job's saved result has an unreadable total for \(currency)") }
            totals[Code(currency)] = CurrencyTotal(amount: amount, amountAccounting: accounting)
        }
    }
}
