import Postgres

/// What a reverse job's row asks for (PRODUCT.md §8): what to reverse, why, and who asked. An
/// approving job has its preview's values (copied at INSERT by
/// `reimbursement_job_approval_takes_preview`).
struct ReversalRequest {
    /// Every reimbursement this job posted.
    var reversesJobID: Int64?
    /// These reimbursements.
    var reimbursementIDs: [Int64]?
    var reason: String
    var requestedBy: String

    static let sql = """
        SELECT operation, reverses_job_id, reverses_reimbursement_ids, reversal_reason, requested_by
          FROM reimbursement_job WHERE company_id = $1 AND id = $2
        """
}
