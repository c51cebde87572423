public import Postgres

/// Builders for reverse jobs (PRODUCT.md §8), as a user would insert them.
public enum ReversalFixture {
    /// Enqueues a reverse job of `reversesJob` or of `ids`, returning its id.
    @discardableResult
    public static func job(
        _ company: String, reversesJob: Int64? = nil, ids: [Int64]? = nil, reason: String? = "entered by mistake",
        mode: String = "post", postingDate: String? = "2026-11-30", approves: Int64? = nil,
        on connection: PostgresConnection
    ) throws -> Int64 {
        try connection.queryValue(Int64.self, """
            INSERT INTO reimbursement_job (company_id, operation, mode, reverses_job_id, reverses_reimbursement_ids,
                                           reversal_reason, posting_date, approves_job_id)
            VALUES ($1, CASE WHEN $7::bigint IS NULL THEN 'reverse' ELSE 'reimburse' END, $2, $3, $4, $5, $6::date, $7)
            RETURNING id
            """, company, mode, reversesJob, ids, approves == nil ? reason : nil, postingDate, approves)!
    }

    /// Open balance per customer and currency, both currencies, as text lines: what a reversal
    /// must give back exactly.
    public static func openBalances(_ company: String, on connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT customer_account || '|' || currency || '|' || sum(amount - settled_amount) || '|'
                   || sum(amount_accounting - settled_amount_accounting)
              FROM customer_transaction WHERE company_id = $1
             GROUP BY customer_account, currency
            HAVING sum(amount - settled_amount) <> 0 OR sum(amount_accounting - settled_amount_accounting) <> 0
             ORDER BY customer_account, currency
            """, company) { try $0.decode(String.self, at: 0) }
    }
}
