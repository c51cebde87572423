import Postgres

/// The queue of one company as `reimburse status` shows it.
struct QueueStatusRow {
    var company: String
    /// Queued and runnable now.
    var queued: Int
    /// Queued with a `run_at` in the future (scheduled, or backing off after a transient error).
    var scheduled: Int
    var runningJob: Int64?
    var runningDone: Int
    var runningTotal: Int?
    var oldestWaitingSeconds: Int?
    var failedLastDay: Int

    var runningText: String {
        guard let runningJob else { return "-" }
        guard let runningTotal else { return "job \(runningJob) starting" }
        return "job \(runningJob) \(runningDone)/\(runningTotal)"
    }

    static func readAll(on connection: PostgresConnection) throws -> [QueueStatusRow] {
        try connection.query(
            """
            SELECT c.id,
                   count(j.id) FILTER (WHERE j.state = 'queued' AND j.run_at <= now()),
                   count(j.id) FILTER (WHERE j.state = 'queued' AND j.run_at > now()),
                   r.id, coalesce(r.customers_done, 0), r.customers_total,
                   extract(epoch FROM now() - min(j.run_at) FILTER (WHERE j.state = 'queued' AND j.run_at <= now()))::bigint,
                   count(j.id) FILTER (WHERE j.state = 'failed' AND j.finished_at > now() - interval '1 day')
              FROM company c
              LEFT JOIN reimbursement_job j
                ON j.company_id = c.id
               AND (j.state IN ('queued', 'running') OR j.finished_at > now() - interval '1 day')
              LEFT JOIN LATERAL (
                    SELECT rj.id, rj.customers_done, rj.customers_total
                      FROM reimbursement_job rj
                     WHERE rj.company_id = c.id AND rj.state = 'running'
                     ORDER BY rj.id LIMIT 1) r ON true
             GROUP BY c.id, r.id, r.customers_done, r.customers_total
             ORDER BY c.id
            """
        ) { row in
            QueueStatusRow(
                company: try row.decode(String.self, at: 0),
                queued: try row.decode(Int.self, at: 1),
                scheduled: try row.decode(Int.self, at: 2),
                runningJob: try row.decode(Int64?.self, at: 3),
                runningDone: try row.decode(Int.self, at: 4),
                runningTotal: try row.decode(Int?.self, at: 5),
                oldestWaitingSeconds: try row.decode(Int?.self, at: 6),
                failedLastDay: try row.decode(Int.self, at: 7))
        }
    }
}
