import Postgres

/// One company's line of the queue gauges: its jobs by state and how long its oldest runnable
/// job has waited.
struct QueueGaugeRow: Sendable, Equatable {
    var company: String
    /// Counts by state, in ``ReimburseDaemon/DaemonMetricFamilies/jobStates`` order.
    var jobsByState: [Int]
    var oldestRunnableAgeSeconds: Double

    /// One grouped query for every gauge of every company. Every company appears (a company
    /// without jobs has zeros), every state of each has a count, and the age is 0 when none
    /// waits. "Runnable" is what `reimburse status` calls waiting: queued with `run_at` passed.
    static let sql = """
        SELECT c.id,
               count(j.id) FILTER (WHERE j.state = 'queued'),
               count(j.id) FILTER (WHERE j.state = 'running'),
               count(j.id) FILTER (WHERE j.state = 'succeeded'),
               count(j.id) FILTER (WHERE j.state = 'failed'),
               count(j.id) FILTER (WHERE j.state = 'cancelled'),
               coalesce(extract(epoch FROM now() - min(j.run_at) FILTER (
                   WHERE j.state = 'queued' AND j.run_at <= now())), 0)::float8
          FROM company c
          LEFT JOIN reimbursement_job j ON j.company_id = c.id
         GROUP BY c.id
         ORDER BY c.id
        """

    static func readAll(on connection: PostgresConnection) throws -> [QueueGaugeRow] {
        try connection.query(sql) { row in
            QueueGaugeRow(
                company: try row.decode(String.self, at: 0),
                jobsByState: try (1...5).map { try row.decode(Int.self, at: $0) },
                oldestRunnableAgeSeconds: max(0, try row.decode(Double.self, at: 6)))
        }
    }
}
