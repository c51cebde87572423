import Postgres
import ReimburseEngine

/// Plans one loaded chunk and posts it inside the chunk's transaction, so that one customer's
/// bad data never stops the others (PRODUCT.md §1, Precisions: `invalid_data`).
///
/// - A customer with a row that cannot be read, or whose amounts the engine cannot use, is
///   planned as `invalid_data` (the engine does the latter itself).
/// - The chunk is posted in one go inside a savepoint: the fast path. When the database
///   refuses it for a reason of the rows (``PostgresError/isCustomerData``), the savepoint is
///   rolled back and the chunk is posted again customer by customer, each in its own
///   savepoint; a customer the database still refuses becomes `invalid_data` with the
///   database's words in `detail`, and the others are posted.
/// - The tally records the plans as posted, so `result` matches the rows.
///
/// Job-level problems (a missing or exhausted number sequence, a due date out of the
/// calendar, a job total that does not fit) still fail the job: they are thrown as
/// ``JobFailure`` and roll back the chunk.
struct ChunkProcessor {
    let connection: PostgresConnection
    let poster: ChunkPoster
    let planner: ReimbursementPlanner

    /// Plans, posts and counts `chunk`; returns the tally after it.
    func process(_ chunk: ChunkLoader.Chunk, tally: JobTally) throws -> JobTally {
        var planned: [(customer: CustomerFacts, plan: CustomerPlan)] = []
        planned.reserveCapacity(chunk.customers.count)
        do {
            for customer in chunk.customers {
                if let problem = chunk.unreadable[customer.account] {
                    planned.append((customer, .invalidData(detail: problem, wholeCreditAccounting: nil)))
                    continue
                }
                let plan = try planner.plan(customer, proposals: chunk.proposals[customer.account] ?? [])
                planned.append((customer, plan))
            }
        } catch {
            throw JobFailure("\(error)")
        }
        let posted = try postIsolatingCustomers(planned)
        var newTally = tally
        do {
            for (_, plan) in posted { try newTally.record(plan) }
        } catch {
            throw JobFailure("\(error)")
        }
        return newTally
    }

    /// Posts the chunk in one go, or customer by customer when the data of one of them is
    /// refused; returns the plans as posted.
    private func postIsolatingCustomers(
        _ planned: [(customer: CustomerFacts, plan: CustomerPlan)]
    ) throws -> [(customer: CustomerFacts, plan: CustomerPlan)] {
        do {
            try poster.post(planned, savepoint: "reimburse_chunk")
            return planned
        } catch let error as PostgresError where error.isCustomerData {
            // Fall through: find the customer(s) whose rows the database refuses.
        }
        var posted: [(customer: CustomerFacts, plan: CustomerPlan)] = []
        posted.reserveCapacity(planned.count)
        var refusals: [(entry: (customer: CustomerFacts, plan: CustomerPlan), error: PostgresError)] = []
        var postedSomething = false
        for entry in planned {
            do {
                try poster.post([entry], savepoint: "reimburse_customer")
                posted.append(entry)
                if !entry.plan.reimbursements.isEmpty { postedSomething = true }
            } catch let error as PostgresError where error.isCustomerData {
                refusals.append((entry, error))
            }
        }
        if let first = refusals.first, Self.isCommonCause(refusals.map(\.error), anyPosted: postedSomething) {
            // Not one customer's data: the same refusal for every customer that had something
            // to post is the company's or the database's problem (a number-sequence prefix the
            // vendor table refuses, a trigger failing for every row). The job fails naming it,
            // and the chunk rolls back whole.
            throw JobFailure(
                "the database refused the postings of every customer of the chunk (\(refusals.count)) for the same "
                    + "reason, so it is not one customer's data but the company's settings or the database: "
                    + Self.describe(first.error))
        }
        for (entry, error) in refusals {
            let refused = CustomerPlan.invalidData(
                detail: Self.refusalDetail(entry.plan, error),
                wholeCreditAccounting: Self.wholeOpenCreditAccounting(entry.customer))
            try poster.post([(entry.customer, refused)])
            posted.append((entry.customer, refused))
        }
        return posted
    }

    /// Whether refusals share one cause that no customer escaped: at least two customers
    /// refused, none posted, all with the same SQLSTATE, constraint, table and column. One
    /// customer alone cannot tell its data from the company's; it is judged `invalid_data`.
    static func isCommonCause(_ errors: [PostgresError], anyPosted: Bool) -> Bool {
        guard errors.count >= 2, !anyPosted, let first = errors.first else { return false }
        return errors.allSatisfy {
            $0.sqlState == first.sqlState && $0.constraintName == first.constraintName
                && $0.tableName == first.tableName && $0.columnName == first.columnName
        }
    }

    /// The database's words with its detail, for a message.
    static func describe(_ error: PostgresError) -> String {
        var text = error.message
        if let constraint = error.constraintName { text += " (constraint \(constraint))" }
        if let detail = error.detail, !detail.isEmpty { text += "; \(detail)" }
        return text
    }

    /// What the database refused, naming the customer's credits that were to be settled.
    static func refusalDetail(_ plan: CustomerPlan, _ error: PostgresError) -> String {
        var credits: [Int64] = []
        for reimbursement in plan.reimbursements { credits += reimbursement.creditTransactionIds }
        let which = credits.isEmpty ? "" : " (\(TransactionList.credits(credits)))"
        var text = "the database refused this customer's rows\(which): \(error.message)"
        if let detail = error.detail, !detail.isEmpty { text += "; \(detail)" }
        return text
    }

    /// The customer's whole open credit in accounting currency, positive, or `nil` when it
    /// does not fit `numeric(24,6)`.
    static func wholeOpenCreditAccounting(_ customer: CustomerFacts) -> Money? {
        var whole: Int128 = 0
        for transaction in customer.transactions where transaction.isCredit {
            whole -= transaction.amountAccounting.microUnits - transaction.settledAmountAccounting.microUnits
        }
        return Money(microUnits: whole)
    }
}

extension PostgresError {
    /// Refused for a reason of the rows written, which posting customer by customer can pin
    /// on one customer: a data exception (class 22: a value out of range, say) or an integrity
    /// violation (class 23) of a named constraint or column. Left out, so that they fail the
    /// job: a duplicate key (keys come from the company's number sequences, not a customer's
    /// data) and an integrity error raised without naming a constraint (a trigger refusing a
    /// closed period or a policy: the company's problem, PRODUCT.md §1 Precisions).
    var isCustomerData: Bool {
        guard kind == .server, let sqlState, sqlState != SQLState.uniqueViolation else { return false }
        if sqlState.hasPrefix("22") { return true }
        return sqlState.hasPrefix("23") && (constraintName != nil || columnName != nil)
    }
}
