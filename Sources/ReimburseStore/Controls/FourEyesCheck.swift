public import Postgres

/// Four eyes when a job starts (PRODUCT.md section 6): with `company.require_approval`, a job
/// in mode `post` must approve a preview of the same operation that another login requested.
/// The INSERT trigger refuses such jobs already; this catches those queued before the setting
/// was turned on. The rule and its wording are the database's
/// (`reimbursement_job_four_eyes_problem`, sql/0014), so both places say the same.
/// Operation-agnostic.
public enum FourEyesCheck {
    static let problemSQL = """
        SELECT reimbursement_job_four_eyes_problem(j.company_id, j.mode, j.operation, j.requested_by, j.approves_job_id)
          FROM reimbursement_job j
         WHERE j.company_id = $1 AND j.id = $2
        """

    /// Throws ``JobFailure`` naming what breaks the rule.
    public static func atStart(companyID: String, jobID: Int64, on connection: PostgresConnection) throws {
        if let problem = try connection.queryValue(String?.self, problemSQL, companyID, jobID) ?? nil {
            throw JobFailure(problem + " (checked when the job started: the setting may have been turned on "
                + "after it was queued); nothing was posted")
        }
    }
}
