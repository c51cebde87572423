-- A graceful stop (SIGTERM) hands a running job back to the queue without consuming one of
-- its attempts. The attempt row stays for the audit trail with its own outcome, and the next
-- claim numbers its attempt after the highest recorded one.
ALTER TABLE reimbursement_job_attempt
    DROP CONSTRAINT reimbursement_job_attempt_outcome_valid,
    ADD CONSTRAINT reimbursement_job_attempt_outcome_valid
        CHECK (outcome IS NULL OR outcome IN ('succeeded', 'failed', 'retry', 'cancelled', 'lost', 'released'));

COMMENT ON COLUMN reimbursement_job_attempt.outcome IS
    'NULL while running; succeeded, failed, retry (transient error, queued again), cancelled, '
    'lost (worker died, job rescued) or released (graceful stop, attempt not counted).';
