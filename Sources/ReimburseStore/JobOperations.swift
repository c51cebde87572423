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
        let operation = try connection.queryValue(
            String.self, "SELECT operation FROM reimbursement_job WHERE company_id = $1 AND id = $2",
            job.companyID, job.id) ?? "reimburse"
        switch operation {
        case "reimburse":
            return ReimburseOperation(job: job, company: company, postingDate: postingDate)
        default:
            throw JobFailure("job \(job.id) has operation '\(operation)', which this version of reimburse cannot run")
        }
    }
}
