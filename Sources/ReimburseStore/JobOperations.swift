import Postgres
import ReimburseEngine

/// Chooses the ``JobOperation`` of a job by its `reimbursement_job.operation`.
enum JobOperations {
    /// The operation that runs `job`, prepared inside the run's read-only preparation
    /// transaction. An approving job has the operation of its preview (the database copies it
    /// at INSERT).
    ///
    /// - Throws: ``JobFailure`` for an operation this program cannot run.
    static func make(
        job: StoredJob, company: CompanyRules, postingDate: LocalDate, on connection: PostgresConnection
    ) throws -> any JobOperation {
        let rows = try connection.query(ReversalRequest.sql, job.companyID, job.id) { row in
            (try row.decode(String.self, at: 0), ReversalRequest(
                reversesJobID: try row.decode(Int64?.self, at: 1), reimbursementIDs: try row.decode([Int64]?.self, at: 2),
                reason: try row.decode(String?.self, at: 3) ?? "", requestedBy: try row.decode(at: 4)))
        }
        guard let (operation, request) = rows.first else { throw JobFailure("job \(job.id) no longer exists") }
        switch operation {
        case "reimburse":
            return ReimburseOperation(job: job, company: company, postingDate: postingDate)
        case "reverse":
            return ReverseOperation(job: job, request: request, postingDate: postingDate)
        case "pay":
            return PayOperation(
                job: job, company: company, settings: try PaymentRunSettings.load(job: job, on: connection),
                executionDate: postingDate)
        default:
            throw JobFailure("job \(job.id) has operation '\(operation)', which this version of reimburse cannot run")
        }
    }
}
