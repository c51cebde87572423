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
    /// The first unfinished job that waits for rows another session holds, if any.
    var waiting: WaitingJob?

    /// A job held up by other sessions' locks: queued with a backoff (`wait_reason` says why),
    /// or running with customers deferred until the others are done.
    struct WaitingJob {
        var id: Int64
        var state: String
        var reason: String?
        var deferredCustomers: Int
        var secondsUntilRetry: Int
    }

    /// Why a job of the company waits, for a person: "job 7 waiting for locked customers: 1
    /// (C2), next try in 8s"; "-" when none does.
    var waitingText: String {
        guard let waiting else { return "-" }
        if waiting.state == "queued", let reason = waiting.reason {
            return "job \(waiting.id) \(reason), next try in \(DurationText.short(waiting.secondsUntilRetry))"
        }
        let plural = waiting.deferredCustomers == 1 ? "customer" : "customers"
        return "job \(waiting.id) \(waiting.deferredCustomers) locked \(plural) deferred, tried again after the others"
    }

    var runningText: String {
        guard let runningJob else { return "-" }
        guard let runningTotal else { return "job \(runningJob) starting" }
        return "job \(runningJob) \(runningDone)/\(runningTotal)"
    }

    /// The row for `status --format json`.
    var json: JSONFields {
        var fields = JSONFields()
        fields.add("company", company)
        fields.add("queued", queued)
        fields.add("scheduled", scheduled)
        fields.add("running_job", runningJob)
        fields.add("running_done", runningJob == nil ? nil : runningDone)
        fields.add("running_total", runningTotal)
        fields.add("oldest_waiting_seconds", oldestWaitingSeconds)
        fields.add("failed_24h", failedLastDay)
        fields.add("waiting_job", waiting?.id)
        fields.add("waiting_reason", waiting == nil ? nil : waitingText)
        return fields
    }

    static func readAll(on connection: PostgresConnection) throws -> [QueueStatusRow] {
        try connection.query(
            """
            SELECT c.id,
                   count(j.id) FILTER (WHERE j.state = 'queued' AND j.run_at <= now()),
                   count(j.id) FILTER (WHERE j.state = 'queued' AND j.run_at > now()),
                   r.id, coalesce(r.customers_done, 0), r.customers_total,
                   extract(epoch FROM now() - min(j.run_at) FILTER (WHERE j.state = 'queued' AND j.run_at <= now()))::bigint,
                   count(j.id) FILTER (WHERE j.state = 'failed' AND j.finished_at > now() - interval '1 day'),
                   w.id, w.state, w.wait_reason, w.deferred, w.retry_in
              FROM company c
              LEFT JOIN reimbursement_job j
                ON j.company_id = c.id
               AND (j.state IN ('queued', 'running') OR j.finished_at > now() - interval '1 day')
              LEFT JOIN LATERAL (
                    SELECT rj.id, rj.customers_done, rj.customers_total
                      FROM reimbursement_job rj
                     WHERE rj.company_id = c.id AND rj.state = 'running'
                     ORDER BY rj.id LIMIT 1) r ON true
              LEFT JOIN LATERAL (
                    SELECT wj.id, wj.state, wj.wait_reason, cardinality(wj.deferred_customers) AS deferred,
                           greatest(0, ceil(extract(epoch FROM wj.run_at - now())))::bigint AS retry_in
                      FROM reimbursement_job wj
                     WHERE wj.company_id = c.id AND wj.state IN ('queued', 'running')
                       AND ((wj.state = 'queued' AND wj.wait_reason IS NOT NULL)
                            OR (wj.state = 'running' AND cardinality(wj.deferred_customers) > 0))
                     ORDER BY wj.id LIMIT 1) w ON true
             GROUP BY c.id, r.id, r.customers_done, r.customers_total, w.id, w.state, w.wait_reason, w.deferred, w.retry_in
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
                failedLastDay: try row.decode(Int.self, at: 7),
                waiting: try row.decode(Int64?.self, at: 8).map { id in
                    WaitingJob(
                        id: id, state: try row.decode(String.self, at: 9), reason: try row.decode(String?.self, at: 10),
                        deferredCustomers: try row.decode(Int.self, at: 11), secondsUntilRetry: try row.decode(Int.self, at: 12))
                })
        }
    }
}
