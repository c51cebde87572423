-- 0013: reimbursement_job.operation (PRODUCT.md section 2): what a job does. Reimbursement is
-- the only operation so far; reversal (section 8) and payment runs (section 9) widen the check
-- in their own migrations when they land, so that a job of an operation this program cannot
-- run is refused at INSERT, not failed by the daemon.
ALTER TABLE reimbursement_job
    ADD COLUMN operation text NOT NULL DEFAULT 'reimburse',
    ADD CONSTRAINT reimbursement_job_operation_valid CHECK (operation IN ('reimburse'));

COMMENT ON COLUMN reimbursement_job.operation IS
    'What the job does: reimburse (PRODUCT.md section 1); an approving job takes the operation of its preview.';

GRANT INSERT (operation) ON reimbursement_job TO reimburse_enqueue;
