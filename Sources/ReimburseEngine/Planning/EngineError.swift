/// Why planning could not go on.
///
/// The two customer cases never leave ``ReimbursementPlanner/plan(_:proposals:)``: the
/// planner turns them into that customer's `invalid_data` skip (one customer's bad data never
/// stops the others). The job cases fail the job with a message that says what to look at,
/// because the person reading `last_error` cannot see the planner's state.
public enum EngineError: Error, Sendable, Hashable {
    /// A sum or amount of one customer does not fit `numeric(24,6)`; `detail` names the
    /// transactions and the sum.
    case amountOutOfRange(customer: String, currency: String, detail: String)
    /// A value of one customer the rules cannot use (an open credit whose accounting amount
    /// has the other sign); `detail` names the transaction and the problem.
    case invalidCustomerData(customer: String, detail: String)
    /// The job's totals for a currency do not fit `numeric(24,6)`.
    case totalOutOfRange(currency: String, detail: String)
    /// Posting date plus the company's payment days leaves the calendar (0001...9999).
    case dueDateOutOfRange(company: String, postingDate: LocalDate, paymentDays: Int)
    /// Netting needs an exchange difference line but the company has no
    /// `exchange_difference_account` (the store checks it at the start of a `net` job).
    case exchangeDifferenceAccountMissing(company: String)

    /// For the customer cases, the text of the `invalid_data` row's `detail`; `nil` for job
    /// cases.
    var customerDetail: String? {
        switch self {
        case .amountOutOfRange(_, _, let detail), .invalidCustomerData(_, let detail): return detail
        case .totalOutOfRange, .dueDateOutOfRange, .exchangeDifferenceAccountMissing: return nil
        }
    }
}

extension EngineError: CustomStringConvertible {
    /// One line for `reimbursement_job.last_error`.
    public var description: String {
        switch self {
        case .amountOutOfRange(let customer, let currency, let detail):
            return "customer \(customer), currency \(currency): \(detail); amounts must fit numeric(24,6) "
                + "(at most 999999999999999999.999999). Check this customer's open \(currency) transactions "
                + "for a wrong amount, or exclude the customer from the job (customer_accounts)."
        case .invalidCustomerData(let customer, let detail):
            return "customer \(customer): \(detail)"
        case .totalOutOfRange(let currency, let detail):
            return "job total in \(currency): \(detail); totals must fit numeric(24,6). "
                + "Split the job (customer_accounts or customer_groups)."
        case .dueDateOutOfRange(let company, let postingDate, let paymentDays):
            return "company \(company): posting date \(postingDate) plus reimbursement_payment_days "
                + "\(paymentDays) is not a date between 0001-01-01 and 9999-12-31; fix "
                + "company.reimbursement_payment_days or the job's posting_date."
        case .exchangeDifferenceAccountMissing(let company):
            return "company \(company) has no exchange_difference_account: a job with debit_handling = 'net' "
                + "posts exchange differences of netting there; set company.exchange_difference_account."
        }
    }
}
