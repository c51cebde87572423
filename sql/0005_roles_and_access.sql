-- 0005: roles, company_access and row-level security (PRODUCT.md section 4).
--
-- Three NOLOGIN group roles; logins are made members of them by the DBA:
--   reimburse_service    the daemon (and `reimburse` commands run with its login): reads and
--                        writes what the engine needs, every company. It passes row-level
--                        security through policies "TO reimburse_service USING (true)", not
--                        through BYPASSRLS or superuser, so it stays an ordinary role.
--   reimburse_enqueue    inserts jobs (user columns only), sets cancel_requested, reads jobs,
--                        results and views of the companies granted to it.
--   reimburse_reporting  reads views and tables of the companies granted to it; writes nothing.
--
-- company_access (role_name, company_id) says which company a login or role sees: a row for a
-- group role covers all of its members (pg_has_role ... 'MEMBER'). Row-level security is
-- enabled on every company-owned table but not FORCEd: the table owner (the migrator) and
-- superusers are not filtered. Any other role sees nothing unless a policy below lets it.

-- Roles are cluster-wide: this migration runs once per database, possibly for several
-- databases of the same cluster, possibly at the same time. Create only what is missing and
-- tolerate a concurrent creator.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['reimburse_service', 'reimburse_enqueue', 'reimburse_reporting'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created meanwhile by a migration of another database
            END;
        END IF;
    END LOOP;
END
$$;

CREATE TABLE company_access (
    role_name   text NOT NULL,
    company_id  text NOT NULL,
    CONSTRAINT company_access_pkey PRIMARY KEY (company_id, role_name),
    CONSTRAINT company_access_company_fk FOREIGN KEY (company_id)
        REFERENCES company (id) ON DELETE CASCADE,
    CONSTRAINT company_access_role_name_not_blank CHECK (role_name <> '')
    -- role_name cannot reference pg_authid; a row for a role that does not exist (yet, or any
    -- more) simply grants nothing: the policies match roles by oid through pg_roles, so they
    -- never fail on an unknown name.
);

CREATE INDEX company_access_role_idx ON company_access (role_name);

COMMENT ON TABLE company_access IS 'Which login or group role (role_name) may see which company through row-level security (enqueue and reporting roles). Written by the DBA/owner only.';

-- ---------------------------------------------------------------------------------------------
-- Privileges. Nothing of this schema is granted to PUBLIC.
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO reimburse_service, reimburse_enqueue, reimburse_reporting',
                   current_schema());
END
$$;

REVOKE ALL ON company, number_sequence, customer, vendor, customer_transaction, reimbursement_job, reimbursement_company_queue, reimbursement_job_attempt, reimbursement, vendor_invoice, customer_settlement, ledger_entry, reimbursement_proposal, reimbursement_skip, company_access
    FROM PUBLIC;
REVOKE ALL ON reimbursement_report, customer_credit_balance, job_overview FROM PUBLIC;
REVOKE ALL ON FUNCTION company_create_number_sequences(), company_create_queue_row(),
    reimbursement_job_check_approval(), reimbursement_job_touch(), reimbursement_job_notify()
    FROM PUBLIC;

-- reimburse_service: the daemon. No DELETE on posted money (reimbursement, vendor_invoice,
-- customer_settlement, ledger_entry) nor on jobs: a failed chunk rolls back, it is never undone
-- by deletes. DELETE only on its own scratch output (proposals, skips) and queue rows.
GRANT SELECT                         ON company                     TO reimburse_service;
GRANT SELECT, UPDATE                 ON number_sequence             TO reimburse_service;
GRANT SELECT                         ON customer                    TO reimburse_service;
GRANT SELECT, INSERT                 ON vendor                      TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON customer_transaction        TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON reimbursement_job           TO reimburse_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON reimbursement_company_queue TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON reimbursement_job_attempt   TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON reimbursement               TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON vendor_invoice              TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON customer_settlement         TO reimburse_service;
GRANT SELECT, INSERT, UPDATE         ON ledger_entry                TO reimburse_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON reimbursement_proposal      TO reimburse_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON reimbursement_skip          TO reimburse_service;
GRANT SELECT                         ON company_access              TO reimburse_service;
GRANT SELECT ON reimbursement_report, customer_credit_balance, job_overview TO reimburse_service;

-- Id reservation: SELECT nextval(pg_get_serial_sequence('<table>', 'id')) FROM generate_series(1, n).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customer_transaction', 'reimbursement_job', 'reimbursement',
                             'vendor_invoice', 'customer_settlement',
                             'reimbursement_proposal', 'reimbursement_skip'] LOOP
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO reimburse_service',
                       pg_catalog.pg_get_serial_sequence(format('%I.%I', current_schema(), t), 'id'));
    END LOOP;
END
$$;

-- Readers (enqueue and reporting): SELECT on the views and on the tables under them. The views
-- are security_invoker, so the caller needs these table privileges and its row-level security
-- applies. No write privilege anywhere for reporting.

GRANT SELECT ON company, customer, vendor, customer_transaction, reimbursement_job, reimbursement_job_attempt,
             reimbursement, vendor_invoice, customer_settlement, ledger_entry, reimbursement_proposal, reimbursement_skip
    TO reimburse_enqueue;
GRANT SELECT ON reimbursement_report, customer_credit_balance, job_overview TO reimburse_enqueue;
GRANT SELECT ON company_access TO reimburse_enqueue;

GRANT SELECT ON company, customer, vendor, customer_transaction, reimbursement_job, reimbursement_job_attempt,
             reimbursement, vendor_invoice, customer_settlement, ledger_entry, reimbursement_proposal, reimbursement_skip
    TO reimburse_reporting;
GRANT SELECT ON reimbursement_report, customer_credit_balance, job_overview TO reimburse_reporting;
GRANT SELECT ON company_access TO reimburse_reporting;

-- reimburse_enqueue: INSERT only the user columns (the daemon-owned columns, requested_by and
-- id keep their defaults: a user cannot enqueue a job as 'running' or in someone else's name),
-- UPDATE only cancel_requested. The identity default of id needs no sequence privilege.
GRANT INSERT (company_id, mode, customer_accounts, customer_groups, debit_handling, summarize,
              posting_date, approves_job_id, run_at, priority, max_attempts, dedupe_key)
    ON reimbursement_job TO reimburse_enqueue;
GRANT UPDATE (cancel_requested) ON reimbursement_job TO reimburse_enqueue;

-- ---------------------------------------------------------------------------------------------
-- Row-level security.
-- Visible companies of the current user: the company_access rows whose role_name is a role
-- current_user is a member of (directly or through groups). company_access's own policy does
-- that filtering, so the other policies only say "company_id IN (SELECT company_id FROM
-- company_access)". The subquery is uncorrelated: planned as a hashed subplan, run once per
-- query, not per row. Roles are matched by oid through pg_roles, so a company_access row naming
-- a role that does not exist grants nothing instead of raising an error. No SECURITY DEFINER
-- helper is needed: there is no recursion (company_access's policy reads only pg_roles).
-- ---------------------------------------------------------------------------------------------

ALTER TABLE company ENABLE ROW LEVEL SECURITY;
ALTER TABLE number_sequence ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
ALTER TABLE vendor ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_transaction ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_job ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_company_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_job_attempt ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement ENABLE ROW LEVEL SECURITY;
ALTER TABLE vendor_invoice ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_settlement ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_entry ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_proposal ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_skip ENABLE ROW LEVEL SECURITY;
ALTER TABLE company_access ENABLE ROW LEVEL SECURITY;

CREATE POLICY company_access_service ON company_access
    FOR SELECT TO reimburse_service USING (true);
CREATE POLICY company_access_own ON company_access
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (role_name IN (SELECT r.rolname FROM pg_catalog.pg_roles r
                          WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')));

CREATE POLICY company_service ON company
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY number_sequence_service ON number_sequence
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY customer_service ON customer
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY vendor_service ON vendor
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY customer_transaction_service ON customer_transaction
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_job_service ON reimbursement_job
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_company_queue_service ON reimbursement_company_queue
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_job_attempt_service ON reimbursement_job_attempt
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_service ON reimbursement
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY vendor_invoice_service ON vendor_invoice
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY customer_settlement_service ON customer_settlement
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY ledger_entry_service ON ledger_entry
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_proposal_service ON reimbursement_proposal
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_skip_service ON reimbursement_skip
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);

CREATE POLICY company_reader ON company
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY customer_reader ON customer
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY vendor_reader ON vendor
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY customer_transaction_reader ON customer_transaction
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_job_reader ON reimbursement_job
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_job_attempt_reader ON reimbursement_job_attempt
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_reader ON reimbursement
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY vendor_invoice_reader ON vendor_invoice
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY customer_settlement_reader ON customer_settlement
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY ledger_entry_reader ON ledger_entry
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_proposal_reader ON reimbursement_proposal
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_skip_reader ON reimbursement_skip
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));

-- Enqueue only for visible companies; cancel only unfinished jobs of visible companies (on a
-- finished job the UPDATE matches no row).
CREATE POLICY reimbursement_job_enqueue_insert ON reimbursement_job
    FOR INSERT TO reimburse_enqueue
    WITH CHECK (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_job_enqueue_cancel ON reimbursement_job
    FOR UPDATE TO reimburse_enqueue
    USING (company_id IN (SELECT a.company_id FROM company_access a)
           AND state IN ('queued', 'running'))
    WITH CHECK (company_id IN (SELECT a.company_id FROM company_access a));
