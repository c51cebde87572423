/// The choices of one job that change the plan (as opposed to selecting customers).
public struct JobOptions: Sendable, Hashable {
    /// See ``DebitHandling``.
    public var debitHandling: DebitHandling
    /// `true`: one reimbursement per (customer, currency). `false`: one per ledger account of
    /// the credits, each with its own vendor invoice and voucher, for companies that pay or
    /// report per receivable account.
    public var summarize: Bool
    /// Date of the vouchers and vendor invoices; the store resolves the job's NULL to the run
    /// date before planning, so every customer of a job gets the same date.
    public var postingDate: LocalDate
    /// See ``JobMode``.
    public var mode: JobMode

    /// Defaults as in the `reimbursement_job` table.
    public init(
        debitHandling: DebitHandling = .skip,
        summarize: Bool = true,
        postingDate: LocalDate,
        mode: JobMode = .post
    ) {
        self.debitHandling = debitHandling
        self.summarize = summarize
        self.postingDate = postingDate
        self.mode = mode
    }
}
