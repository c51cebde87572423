public import Foundation

/// Proof that a worker holds a running job. Every chunk transaction checks the token against
/// the job row, so a worker whose lease was taken over can never post: its chunk rolls back.
public struct JobLease: Sendable, Hashable {
    public var jobID: Int64
    public var companyID: String
    public var token: UUID
    public var owner: String

    public init(jobID: Int64, companyID: String, token: UUID, owner: String) {
        self.jobID = jobID
        self.companyID = companyID
        self.token = token
        self.owner = owner
    }
}
