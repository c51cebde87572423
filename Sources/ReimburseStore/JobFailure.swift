/// A reason to fail a job at once, without retrying: bad parameters, a missing number
/// sequence, an amount that does not fit. Its message goes to `last_error` and must tell a
/// person what to fix.
public struct JobFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Checked when the job starts and again under the lock of each posting chunk (a sequence
    /// can be deleted mid-job): one wording for both.
    static func missingSequence(companyID: String, name: String) -> JobFailure {
        JobFailure(
            "company \(companyID) has no number sequence '\(name)': "
                + "insert it into number_sequence (company_id, name, prefix, next_value, width) and retry the job (reimburse retry <job>)")
    }
}

/// The worker no longer holds the job: another worker took it over after the lease expired or
/// the connection's advisory lock vanished. Whatever the chunk did is rolled back.
public struct LeaseLost: Error, CustomStringConvertible, Sendable {
    public let jobID: Int64
    public var description: String { "lost the lease of job \(jobID): another worker has taken it over" }
}
