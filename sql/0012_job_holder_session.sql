-- 0012: a running job names the database session that holds it.
--
-- Until now a job's holder was "whoever holds the job's session advisory lock". Advisory lock
-- functions are open to every login and not permission-checked, and pg_locks shows every key:
-- any login (a reporting login of another company) could take a queued job's key and keep it
-- from ever being claimed, or take a running job's key as its worker died and keep it from
-- being rescued. The claim now records the claiming session instead, and the daemon judges a
-- holder alive when that exact session still exists in pg_stat_activity:
--   holder_pid            pg_backend_pid() of the claiming session;
--   holder_role           its login (pg_stat_activity.usesysid), visible to every login: a
--                         session of another login that is given the same pid later is not it;
--   holder_session        its application_name, which the daemon makes unique per connection
--                         ("reimburse-worker-0 #5f3a09c2e1d4b7a6"): a reused pid, or a pooled
--                         server connection handed to another client after DISCARD ALL, does
--                         not carry it;
--   holder_backend_start  its backend_start, compared where the reader may see it (the same
--                         login, or pg_read_all_stats).
-- Nobody but the holder can make such a session exist, so no other login can keep a job alive
-- or make it look dead. NULL while the job is not running, and for jobs claimed by a caller that
-- does not record itself (the library entry point): those are rescued only when their lease
-- expires.
ALTER TABLE reimbursement_job
    ADD COLUMN holder_pid            int,
    ADD COLUMN holder_role           oid,
    ADD COLUMN holder_session        text,
    ADD COLUMN holder_backend_start  timestamptz;

COMMENT ON COLUMN reimbursement_job.holder_pid IS 'Daemon-internal: backend pid of the session holding the running job (with holder_role, holder_session and holder_backend_start it names that session exactly).';
COMMENT ON COLUMN reimbursement_job.holder_role IS 'Daemon-internal: login (pg_stat_activity.usesysid) of the holding session.';
COMMENT ON COLUMN reimbursement_job.holder_session IS 'Daemon-internal: application_name of the holding session, unique per daemon connection.';
COMMENT ON COLUMN reimbursement_job.holder_backend_start IS 'Daemon-internal: backend_start of the holding session.';

-- The holder columns describe a running job only: whatever ends or requeues it clears them.
CREATE FUNCTION reimbursement_job_clear_holder() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.holder_pid := NULL;
    NEW.holder_role := NULL;
    NEW.holder_session := NULL;
    NEW.holder_backend_start := NULL;
    RETURN NEW;
END
$$;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION reimbursement_job_clear_holder() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

REVOKE ALL ON FUNCTION reimbursement_job_clear_holder() FROM PUBLIC;

CREATE TRIGGER reimbursement_job_clear_holder
    BEFORE UPDATE OF state ON reimbursement_job
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM 'running')
    EXECUTE FUNCTION reimbursement_job_clear_holder();
