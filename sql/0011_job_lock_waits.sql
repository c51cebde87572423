-- 0011: a job never waits on another session's row lock, and says why it waits.
--
-- A chunk locks its customers and their open transactions with SKIP LOCKED. A customer it
-- cannot lock whole (a clerk holds one of its transactions, the ERP is changing it) is
-- deferred: remembered on the job and tried again once the job has gone through every other
-- customer. When only deferred customers are left and none can be locked yet, the job goes
-- back to the queue for a while (run_at in the future, backing off up to 5 minutes) without
-- using an attempt, and says so in wait_reason. A lock timeout elsewhere (a vendor row, a
-- number sequence) and a deadlock are handled the same way. See sql/README.md.

ALTER TABLE reimbursement_job
    -- Accounts the job chose but could not lock yet, in the order they will be tried again.
    ADD COLUMN deferred_customers text[] NOT NULL DEFAULT '{}',
    -- Rounds in a row that the job had to wait for a lock; drives the backoff, reset to 0 by
    -- every chunk that gets on.
    ADD COLUMN lock_waits int NOT NULL DEFAULT 0,
    -- Customers chosen by the job that were gone under their account when it came to lock
    -- them: deleted, renamed (a renamed customer is taken under its new account when that
    -- sorts after the checkpoint) or no longer selected.
    ADD COLUMN customers_gone int NOT NULL DEFAULT 0,
    -- Why a queued or running job is waiting, for a person; NULL when it is not waiting.
    ADD COLUMN wait_reason text,
    ADD CONSTRAINT reimbursement_job_deferred_customers_plain CHECK (
        cardinality(deferred_customers) = 0
        OR (array_ndims(deferred_customers) = 1 AND array_lower(deferred_customers, 1) = 1
            AND array_position(deferred_customers, NULL) IS NULL)),
    ADD CONSTRAINT reimbursement_job_lock_waits_nonnegative CHECK (lock_waits >= 0),
    ADD CONSTRAINT reimbursement_job_customers_gone_nonnegative CHECK (customers_gone >= 0);

COMMENT ON COLUMN reimbursement_job.deferred_customers IS 'Daemon-internal: customers the job could not lock yet (another session holds them); tried again after the others.';
COMMENT ON COLUMN reimbursement_job.lock_waits IS 'Daemon-internal: consecutive waits for locks; the backoff grows with it (1 s doubling, at most 5 minutes). Waits use no attempt.';
COMMENT ON COLUMN reimbursement_job.customers_gone IS 'Customers chosen by the job that were deleted, renamed or deselected before they could be locked.';
COMMENT ON COLUMN reimbursement_job.wait_reason IS 'Why the job waits (e.g. waiting for locked customers: 1), NULL when it does not.';

-- A job handed back because it waits for a lock: the attempt is not counted.
ALTER TABLE reimbursement_job_attempt
    DROP CONSTRAINT reimbursement_job_attempt_outcome_valid,
    ADD CONSTRAINT reimbursement_job_attempt_outcome_valid
        CHECK (outcome IS NULL OR outcome IN ('succeeded', 'failed', 'retry', 'cancelled', 'lost', 'released', 'waiting'));

COMMENT ON COLUMN reimbursement_job_attempt.outcome IS
    'NULL while running; succeeded, failed, retry (transient error, queued again), cancelled, '
    'lost (worker died, job rescued), released (graceful stop, attempt not counted) or waiting '
    '(another session holds rows the job needs; queued again with a backoff, attempt not counted).';
