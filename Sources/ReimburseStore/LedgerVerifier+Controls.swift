extension LedgerVerifier {
    /// Checks of the financial controls (PRODUCT.md section 6, sql/0014).
    static var financialControlChecks: [Check] {
        [
            Check(
                name: "reimbursement_on_effective_date",
                summary: "every reimbursement is dated its job's effective_posting_date, the one date the job posts on",
                sql: """
                    SELECT r.company_id,
                           format('reimbursement %s of job %s is dated %s, but the job posts on %s (effective_posting_date)',
                                  r.id, r.job_id, r.posting_date, j.effective_posting_date),
                           ARRAY['reimbursement ' || r.id, 'reimbursement_job ' || j.id]
                      FROM reimbursement r
                      JOIN reimbursement_job j ON j.company_id = r.company_id AND j.id = r.job_id
                     WHERE ($1::text IS NULL OR r.company_id = $1::text)
                       AND j.effective_posting_date IS NOT NULL
                       AND r.posting_date <> j.effective_posting_date
                     ORDER BY 1, 2
                    """,
                needs: ["reimbursement_job"]),
        ]
    }
}
