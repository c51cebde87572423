import Foundation
public import Postgres
public import ReimburseEngine

/// A job row as the runner needs it: what to select, how to judge, where it stopped.
public struct StoredJob: Sendable {
    public var id: Int64
    public var companyID: String
    public var mode: String
    public var customerAccounts: [String]?
    public var customerGroups: [String]?
    public var debitHandling: String
    public var summarize: Bool
    public var postingDate: LocalDate?
    public var approvesJobID: Int64?
    public var state: String
    public var cancelRequested: Bool
    public var checkpointCustomer: Code?
    public var customersTotal: Int?
    public var customersDone: Int
    public var result: String?
    public var attempts: Int
    public var maxAttempts: Int
    /// Customers an earlier chunk could not lock (another session held them), to try again.
    public var deferredCustomers: [Code]

    static let selectSQL = """
        SELECT id, company_id, mode, customer_accounts, customer_groups, debit_handling, summarize,
               posting_date, approves_job_id, state, cancel_requested, checkpoint_customer,
               customers_total, customers_done, result::text, attempts, max_attempts, deferred_customers
          FROM reimbursement_job
        """

    init(row: PostgresRow) throws {
        id = try row.decode(at: 0)
        companyID = try row.decode(at: 1)
        mode = try row.decode(at: 2)
        customerAccounts = try row.decode([String]?.self, at: 3)
        customerGroups = try row.decode([String]?.self, at: 4)
        debitHandling = try row.decode(at: 5)
        summarize = try row.decode(at: 6)
        postingDate = try row.decode(LocalDate?.self, at: 7)
        approvesJobID = try row.decode(Int64?.self, at: 8)
        state = try row.decode(at: 9)
        cancelRequested = try row.decode(at: 10)
        checkpointCustomer = try row.decode(Code?.self, at: 11)
        customersTotal = try row.decode(Int?.self, at: 12)
        customersDone = try row.decode(at: 13)
        result = try row.decode(String?.self, at: 14)
        attempts = try row.decode(at: 15)
        maxAttempts = try row.decode(at: 16)
        deferredCustomers = try row.decode([Code].self, at: 17)
    }

    /// Reads one job; nil when no such job exists.
    public static func load(id: Int64, on connection: PostgresConnection) throws -> StoredJob? {
        try connection.query(selectSQL + " WHERE id = $1", id) { try StoredJob(row: $0) }.first
    }

    /// The engine's mode: a post job that approves a preview posts exactly its proposals.
    public var engineMode: JobMode {
        if mode == "preview" { return .preview }
        return approvesJobID == nil ? .post : .approve
    }

    /// The tally of the chunks already done, so a resumed job counts every customer once.
    public func storedTally() throws -> JobTally {
        try Self.tally(storedResult: result)
    }

    /// The counters of a `result` text as a chunk saved it (zeros when NULL or empty).
    public static func tally(storedResult result: String?) throws -> JobTally {
        guard let result, !result.isEmpty else { return JobTally() }
        return try JobTally(storedResult: result)
    }
}

extension JobTally {
    /// Rebuilds counters from the `result` JSON a chunk saved.
    init(storedResult text: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let customers = object["customers"] as? [String: Any]
        else { throw JobFailure("the job's saved result is not in the expected shape: \(text.prefix(200))") }
        func count(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }
        var skipped: [SkipReason: Int] = [:]
        for (reason, value) in customers["skipped"] as? [String: Any] ?? [:] {
            guard let skipReason = SkipReason(rawValue: reason) else {
                throw JobFailure("the job's saved result names an unknown skip reason \(reason)")
            }
            let number = count(value)
            if number != 0 { skipped[skipReason] = number }
        }
        var totals: [Code: CurrencyTotal] = [:]
        for (currency, value) in object["totals"] as? [String: Any] ?? [:] {
            guard let entry = value as? [String: Any],
                  let amount = (entry["amount"] as? String).flatMap(Money.init(exactly:)),
                  let accounting = (entry["amount_accounting"] as? String).flatMap(Money.init(exactly:))
            else { throw JobFailure("the job's saved result has an unreadable total for \(currency)") }
            totals[Code(currency)] = CurrencyTotal(amount: amount, amountAccounting: accounting)
        }
        self.init(
            selected: count(customers["selected"]),
            reimbursedCustomers: count(customers["reimbursed"]),
            noCreditBalance: count(customers["no_credit_balance"]),
            skipped: skipped,
            reimbursements: count(object["reimbursements"]),
            totals: totals)
    }
}
