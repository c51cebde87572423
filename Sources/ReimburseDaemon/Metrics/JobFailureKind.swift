/// Why an attempt of a job did not end normally, as the `kind` label of
/// `reimburse_job_failures_total`. A fixed set; each failed attempt is counted once, under one
/// kind, by the daemon that saw it.
public enum JobFailureKind: String, Sendable, CaseIterable {
    /// A problem of the job or its company (a missing number sequence, a closed period, a
    /// missing company setting, bad job parameters): the job fails, nothing more is posted.
    case job
    /// The database refused a write the rules did not foresee (a constraint, bad data): the
    /// job fails; retrying would not help.
    case rejected
    /// A database error that may pass (a lost connection, a serialization failure, a statement
    /// cancelled): the job is retried until `max_attempts`.
    case transient
    /// A lock another session held was waited on too long, or a deadlock: the job waits in the
    /// queue without using an attempt.
    case lockTimeout = "lock_timeout"
    /// The database stopped taking writes (read-only, a standby, at its connection limit): the
    /// job is handed back without using an attempt.
    case databaseCondition = "database_condition"
    /// This worker's lease was gone: another daemon took the job over.
    case leaseLost = "lease_lost"
    /// The worker running the job died or hung; counted by the daemon whose rescue put the
    /// job back (or failed it when its attempts were used up).
    case workerLost = "worker_lost"
    /// Anything else (a bug: please report it): the job fails.
    case `internal`
}
