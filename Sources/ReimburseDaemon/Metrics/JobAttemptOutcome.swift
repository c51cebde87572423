/// How one attempt of a job ended, as the `outcome` label of
/// `reimburse_job_duration_seconds` and `reimburse_job_queue_wait_seconds`. A fixed set.
public enum JobAttemptOutcome: String, Sendable, CaseIterable {
    /// Every selected customer is done; the job is succeeded.
    case succeeded
    /// The job failed for good (`state = 'failed'`).
    case failed
    /// `cancel_requested` was seen; the job is cancelled and keeps what it posted.
    case cancelled
    /// A transient database error; the job is queued again with a backoff and uses an attempt.
    case retried
    /// Rows it needs are held by another session (customers, a lock timeout, a deadlock); the
    /// job is queued again with a backoff, without using an attempt.
    case waiting
    /// Handed back to the queue unfinished, without using an attempt: a graceful stop of the
    /// daemon, or a database that stopped taking writes.
    case released
    /// Another daemon took the job over (this worker's lease was gone).
    case lost
}
