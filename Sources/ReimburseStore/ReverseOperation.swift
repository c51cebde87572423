import Foundation
import Postgres
import ReimburseEngine

/// `operation = 'reverse'` (PRODUCT.md §8): reimbursements keyed by id, planned by
/// ``ReversalPlanner``, posted by ``ReversalPoster``. Keys are stored in the job's checkpoint
/// columns as decimal text.
struct ReverseOperation: JobOperation {
    let job: StoredJob
    let request: ReversalRequest
    let postingDate: LocalDate
    let planner: ReversalPlanner

    init(job: StoredJob, request: ReversalRequest, postingDate: LocalDate) {
        self.job = job
        self.request = request
        self.postingDate = postingDate
        self.planner = ReversalPlanner(postingDate: postingDate, mode: job.engineMode)
    }

    private func loader(_ connection: PostgresConnection) -> ReversalLoader {
        ReversalLoader(connection: connection, job: job, request: request)
    }

    func storedKey(_ key: Int64) -> Code { Code(String(key)) }

    func key(stored: Code) throws -> Int64 {
        guard let id = Int64(stored.text) else {
            throw JobFailure("job \(job.id): its checkpoint '\(stored.text)' is not a reimbursement id")
        }
        return id
    }

    func countSelected(on connection: PostgresConnection) throws -> Int { try loader(connection).countSelected() }

    func nextKeys(after: Int64?, limit: Int, on connection: PostgresConnection) throws -> [Int64] {
        try loader(connection).nextKeys(after: after, limit: limit)
    }

    func lock(_ keys: [Int64], on connection: PostgresConnection) throws -> ReversalLoader.Chunk {
        try loader(connection).lock(keys)
    }

    /// Plans and posts the chunk in one go inside a savepoint; when the database refuses rows
    /// of one reimbursement (``PostgresError/isCustomerData``), posts them one by one
    /// (``UnitByUnitPosting``), and a reimbursement still refused is skipped `invalid_data`
    /// with the database's words.
    func process(
        _ chunk: ReversalLoader.Chunk, tally: ReversalTally, stagedWrites: Bool, on connection: PostgresConnection
    ) throws -> ReversalTally {
        guard !chunk.reimbursements.isEmpty else { return tally }
        let plans = chunk.reimbursements.map { planner.plan($0, proposal: chunk.proposals[$0.id]) }
        let poster = ReversalPoster(connection: connection, job: job, request: request, postingDate: postingDate)
        let posted = try UnitByUnitPosting.post(
            chunk.reimbursements, plans: plans, savepoints: ("reverse_chunk", "reverse_one"), on: connection,
            post: { try poster.post($0) },
            refused: { facts, error in
                ReversalPlan.skip(PlannedReversalSkip(
                    reimbursementID: facts.id, customerAccount: facts.customerAccount, currency: facts.currency,
                    reason: .invalidData, amount: facts.amount, amountAccounting: facts.amountAccounting,
                    detail: "\(facts.name): the database refused the reversal: \(error.message)"))
            })
        var newTally = tally
        do {
            for plan in posted { try newTally.record(plan) }
        } catch {
            throw JobFailure("\(error)")
        }
        return newTally
    }

    func storedTally(_ result: String?) throws -> ReversalTally {
        guard let result, !result.isEmpty else { return ReversalTally() }
        return try ReversalTally(storedResult: result)
    }

    func resultJSON(_ tally: ReversalTally) -> String { tally.resultJSON() }

    /// Reimbursements stand in for customers: selected, reversed as "reimbursed" and as
    /// postings, totals reversed; the reasons are in the job's `result`.
    func outcomeTally(_ tally: ReversalTally) -> JobTally {
        JobTally(
            selected: tally.selected, reimbursedCustomers: tally.reversed,
            skipped: [.invalidData: tally.skipped[.invalidData] ?? 0,
                      .changedSincePreview: tally.skipped[.changedSincePreview] ?? 0].filter { $0.value != 0 },
            reimbursements: tally.reversed, totals: tally.totals)
    }

    func waitReason(locked: [Int64]) -> String {
        JobRunner.waitReason(locked: locked.map(String.init), what: "reimbursements")
    }
}

extension ReversalTally {
    /// Rebuilds the tally from the `result` a chunk saved, so a resumed job counts each
    /// reimbursement once.
    init(storedResult text: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw JobFailure("the job's saved result is not in the expected shape: \(text.prefix(200))")
        }
        // A job that failed before its first chunk may hold the zeros of the reimburse shape.
        guard let counts = object["reversal"] as? [String: Any] else {
            self.init()
            return
        }
        func count(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }
        self.init()
        selected = count(counts["selected"])
        reversed = count(counts["reversed"])
        for (reason, value) in counts["skipped"] as? [String: Any] ?? [:] {
            guard let skipReason = ReversalSkipReason(rawValue: reason) else {
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
