import Postgres
import ReimburseEngine

/// What a job's debit handling needs before its first chunk (PRODUCT.md §1 Modes and §7).
enum NettingJobSettings {
    /// An approving job judges debits as its preview did: it takes `debit_handling` and
    /// `summarize` from the preview (the values on its own row are ignored), so that a `net`
    /// preview is approved as netting. Then a `net` job of a company without
    /// `exchange_difference_account` fails before it posts anything, naming the setting.
    ///
    /// - Throws: ``JobFailure`` naming the company and `company.exchange_difference_account`.
    static func apply(to job: inout StoredJob, company: CompanyRules, on connection: PostgresConnection) throws {
        if let approved = job.approvesJobID {
            let preview = try connection.query(
                "SELECT debit_handling, summarize FROM reimbursement_job WHERE company_id = $1 AND id = $2",
                job.companyID, approved) { (try $0.decode(String.self, at: 0), try $0.decode(Bool.self, at: 1)) }
            if let (debitHandling, summarize) = preview.first {
                job.debitHandling = debitHandling
                job.summarize = summarize
            }
        }
        guard job.debitHandling == DebitHandling.net.rawValue, company.exchangeDifferenceAccount == nil else { return }
        throw JobFailure(EngineError.exchangeDifferenceAccountMissing(company: company.id).description)
    }
}
