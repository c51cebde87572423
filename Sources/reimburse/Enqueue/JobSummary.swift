import Postgres

/// The outcome of a finished job in one line, read from its `result` by SQL so that amounts
/// stay the exact decimal text the daemon wrote.
struct JobSummary {
    var jobID: Int64
    var mode: String
    var state: String
    var lastError: String?
    var selected: Int?
    var reimbursed: Int?
    var noCreditBalance: Int?
    var reimbursements: Int?
    /// "below_minimum 12, on_hold 3", ordered by reason.
    var skipped: String?
    var skippedTotal: Int
    /// "EUR 1234.560000, USD 99.000000", ordered by currency.
    var totals: String?

    static func read(job: Int64, company: String, on connection: PostgresConnection) throws -> JobSummary {
        let rows = try connection.query(
            """
            SELECT j.mode, j.state, j.last_error,
                   (j.result -> 'customers' ->> 'selected')::bigint,
                   (j.result -> 'customers' ->> 'reimbursed')::bigint,
                   (j.result -> 'customers' ->> 'no_credit_balance')::bigint,
                   (j.result ->> 'reimbursements')::bigint,
                   (SELECT string_agg(s.key || ' ' || s.value, ', ' ORDER BY s.key)
                      FROM jsonb_each_text(CASE WHEN jsonb_typeof(j.result -> 'customers' -> 'skipped') = 'object'
                                                THEN j.result -> 'customers' -> 'skipped' END) s
                     WHERE s.value <> '0'),
                   (SELECT coalesce(sum(s.value::bigint), 0)
                      FROM jsonb_each_text(CASE WHEN jsonb_typeof(j.result -> 'customers' -> 'skipped') = 'object'
                                                THEN j.result -> 'customers' -> 'skipped' END) s),
                   (SELECT string_agg(t.key || ' ' || (t.value ->> 'amount'), ', ' ORDER BY t.key)
                      FROM jsonb_each(CASE WHEN jsonb_typeof(j.result -> 'totals') = 'object'
                                           THEN j.result -> 'totals' END) t)
              FROM reimbursement_job j
             WHERE j.company_id = $1 AND j.id = $2
            """, company, job
        ) { row in
            JobSummary(
                jobID: job,
                mode: try row.decode(String.self, at: 0),
                state: try row.decode(String.self, at: 1),
                lastError: try row.decode(String?.self, at: 2),
                selected: try row.decode(Int?.self, at: 3),
                reimbursed: try row.decode(Int?.self, at: 4),
                noCreditBalance: try row.decode(Int?.self, at: 5),
                reimbursements: try row.decode(Int?.self, at: 6),
                skipped: try row.decode(String?.self, at: 7),
                skippedTotal: try row.decode(Int.self, at: 8),
                totals: try row.decode(String?.self, at: 9))
        }
        guard let summary = rows.first else {
            throw CommandFailure("job \(job) of company '\(company)' not found", exitCode: .internalError)
        }
        return summary
    }

    /// "job 42 succeeded: 1000 customers selected, 612 reimbursed (640 reimbursements), ..."
    var line: String {
        let preview = mode == "preview"
        var parts: [String] = []
        if let selected { parts.append("\(selected) customers selected") }
        if let reimbursed {
            let verb = preview ? "proposed" : "reimbursed"
            let count = reimbursements.map { " (\($0) \(preview ? "proposals" : "reimbursements"))" } ?? ""
            parts.append("\(reimbursed) \(verb)\(count)")
        }
        parts.append("\(skippedTotal) skipped" + (skipped.map { " (\($0))" } ?? ""))
        if let noCreditBalance { parts.append("\(noCreditBalance) without credit balance") }
        var text = "job \(jobID)\(preview ? " (preview)" : "") \(state): " + parts.joined(separator: ", ")
        if let totals { text += "; totals \(totals)" }
        return text
    }
}
