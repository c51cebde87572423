/// Turns one customer's facts into what a job does with it: the rules of PRODUCT.md §1, pure.
///
/// The store loads a chunk of customers, asks the planner for each plan, and writes the plans
/// in its transactions; the planner does no I/O, so every rule is tested here without a
/// database, and a plan computed for a preview is exactly the plan a post would write.
/// Create one planner per job; it is a small value and safe to share between threads.
public struct ReimbursementPlanner: Sendable {
    /// The company's rules the job runs under.
    public let company: CompanyRules
    /// The job's choices.
    public let options: JobOptions

    /// Posting date plus payment days; `nil` when that leaves the calendar, reported by the
    /// first plan that needs it (so that a job of customers without credits still runs).
    let dueDate: LocalDate?

    /// Creates the planner of one job.
    public init(company: CompanyRules, options: JobOptions) {
        self.company = company
        self.options = options
        self.dueDate = try? options.postingDate.adding(days: company.paymentDays)
    }

    /// Plans one customer.
    ///
    /// - Parameters:
    ///   - customer: the customer's facts and its transactions (open ones; settled ones are
    ///     ignored), in any order.
    ///   - proposals: in ``JobMode/approve`` mode, the customer's proposals from the approved
    ///     preview (none if it had none); ignored in the other modes.
    /// - Returns: the same plan for the same facts, with reimbursements ordered by currency
    ///   then ledger account, debits by ledger account and settlements by credit id.
    ///   A customer whose own amounts or sums do not fit `numeric(24,6)`, or whose data the
    ///   rules cannot use, gets ``CustomerPlan/invalidData(detail:wholeCreditAccounting:)``
    ///   naming the transactions and the problem: one customer's bad data never stops the job.
    /// - Throws: only job-level problems:
    ///   ``EngineError/dueDateOutOfRange(company:postingDate:paymentDays:)`` when a
    ///   reimbursement's due date would leave the calendar.
    public func plan(_ customer: CustomerFacts, proposals: [ApprovedProposal] = []) throws(EngineError) -> CustomerPlan {
        let transactions = customer.transactions
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: transactions.count) {
            (buffer) throws(EngineError) -> CustomerPlan in
            let scan = CreditScan(transactions, buffer: buffer)
            do throws(EngineError) {
                if options.mode == .approve {
                    return try planApproval(customer, scan: scan, proposals: proposals)
                }
                return try planPosting(customer, scan: scan)
            } catch {
                guard let detail = error.customerDetail else { throw error }
                return .invalidData(detail: detail, wholeCreditAccounting: Money(microUnits: scan.wholeCreditAccounting))
            }
        }
    }
}
