import Postgres

/// What `--wait` reads of a job on every poll: the cheap columns the daemon updates per chunk.
struct JobProgress: Equatable {
    var state: String
    var customersDone: Int
    var customersTotal: Int?

    var isFinished: Bool { ["succeeded", "failed", "cancelled"].contains(state) }

    static func read(job: Int64, company: String, on connection: PostgresConnection) throws -> JobProgress {
        let rows = try connection.query(
            """
            SELECT state, customers_done, customers_total
              FROM reimbursement_job WHERE company_id = $1 AND id = $2
            """, company, job
        ) { row in
            JobProgress(
                state: try row.decode(String.self, at: 0),
                customersDone: try row.decode(Int.self, at: 1),
                customersTotal: try row.decode(Int?.self, at: 2))
        }
        guard let progress = rows.first else {
            throw CommandFailure(
                "job \(job) of company '\(company)' disappeared while waiting for it", exitCode: .internalError)
        }
        return progress
    }
}
