-- 0017: day-to-day operation (issue 19).
--
-- 1. reimbursement_job.retries_job_id: a job enqueued again (`reimburse retry N`, or an ERP's
--    own INSERT) names the failed or cancelled job it retries, so that both are found from
--    either side. Same company by construction of the key; the retried job must be finished
--    unsuccessfully (a trigger, since a foreign key cannot look at state).
-- 2. NOTIFY reimbursement_job_finished when a job reaches succeeded, failed or cancelled, so that
--    an ERP can LISTEN instead of polling (payload documented in sql/README.md).

ALTER TABLE reimbursement_job
    ADD COLUMN retries_job_id bigint,
    ADD CONSTRAINT reimbursement_job_retries_fk FOREIGN KEY (company_id, retries_job_id)
        REFERENCES reimbursement_job (company_id, id) ON DELETE RESTRICT;

CREATE INDEX reimbursement_job_retries
    ON reimbursement_job (company_id, retries_job_id)
    WHERE retries_job_id IS NOT NULL;

-- At most one unfinished retry of a job: two people retrying the same failure at once get one
-- new job, not two.
CREATE UNIQUE INDEX reimbursement_job_one_open_retry
    ON reimbursement_job (company_id, retries_job_id)
    WHERE retries_job_id IS NOT NULL AND state IN ('queued', 'running');

COMMENT ON COLUMN reimbursement_job.retries_job_id IS
    'The failed or cancelled job of the same company this job runs again with the same parameters (reimburse retry).';

-- SECURITY INVOKER, like the approval check: a login that cannot see the job gets the same
-- answer as for a job that does not exist.
CREATE FUNCTION reimbursement_job_check_retry() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    retried_state text;
BEGIN
    IF NEW.retries_job_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT j.state INTO retried_state
      FROM reimbursement_job j
     WHERE j.company_id = NEW.company_id AND j.id = NEW.retries_job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retries_job_id %: no such job in company %', NEW.retries_job_id, NEW.company_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'reimbursement_job_retries_finished_job',
                  TABLE = 'reimbursement_job', COLUMN = 'retries_job_id',
                  HINT = 'retries_job_id must be a failed or cancelled job of the same company.';
    END IF;
    IF retried_state NOT IN ('failed', 'cancelled') THEN
        RAISE EXCEPTION 'retries_job_id %: job % of company % is %, not failed or cancelled',
                NEW.retries_job_id, NEW.retries_job_id, NEW.company_id, retried_state
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'reimbursement_job_retries_finished_job',
                  TABLE = 'reimbursement_job', COLUMN = 'retries_job_id',
                  HINT = 'Only a failed or cancelled job is retried.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reimbursement_job_check_retry
    BEFORE INSERT OR UPDATE OF retries_job_id, company_id ON reimbursement_job
    FOR EACH ROW EXECUTE FUNCTION reimbursement_job_check_retry();

GRANT INSERT (retries_job_id) ON reimbursement_job TO reimburse_enqueue;

-- ---- 2. A notification when a job finishes ---------------------------------------------------
-- Channel reimbursement_job_finished, payload a JSON object (well under NOTIFY's 8000 bytes):
--   {"id": 42, "company_id": "USMF", "state": "succeeded", "operation": "reimburse",
--    "mode": "post", "retries_job_id": null}
-- Sent at the commit of the transaction that finished the job, once per job and state; a
-- listener that was not connected misses it and should read job_overview on (re)connecting.
CREATE FUNCTION reimbursement_job_notify_finished() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('reimbursement_job_finished', pg_catalog.json_build_object(
        'id', NEW.id, 'company_id', NEW.company_id, 'state', NEW.state, 'operation', NEW.operation,
        'mode', NEW.mode, 'retries_job_id', NEW.retries_job_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER reimbursement_job_notify_finished
    AFTER UPDATE OF state ON reimbursement_job
    FOR EACH ROW
    WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION reimbursement_job_notify_finished();
