-- 0014: financial controls (PRODUCT.md section 6): each company's own day, ledger periods that
-- refuse postings, and four eyes on every posting.
--
--   company.time_zone          IANA name (checked at INSERT/UPDATE), default 'UTC': decides the
--                              company's "today", whatever the TimeZone of the database, the
--                              session or the daemon's host;
--   company.require_approval   four eyes: a post job must approve a preview another login asked for;
--   reimbursement_job.effective_posting_date
--                              daemon-owned: the date the job posts on, fixed when it first starts
--                              (its posting_date, else the company's local date then) and kept
--                              when it resumes; posting_date stays what the user asked;
--   reimbursement_job.requested_by
--                              set by the database from session_user (SET ROLE does not change
--                              it), never by the inserter, never rewritten;
--   ledger_period              per company, non-overlapping (exclusion constraint), both dates
--                              inclusive, status open / on_hold / closed;
--   reimbursement_report       gains prepared_by and approved_by.
-- Every rule here is operation-agnostic: a reversal or payment run inherits it.

-- ---- btree_gist (for the ledger_period exclusion constraint) -------------------------------
-- The exclusion constraint compares company_id (text) with = inside a GiST index, which needs
-- the btree_gist operator classes. btree_gist ships with PostgreSQL's contrib (Debian's
-- postgresql-15 package) and is a trusted extension: a login with CREATE on the database may
-- create it, superuser or not. Where it exists already (a DBA created it, or another schema of
-- this database did), IF NOT EXISTS makes this a no-op before any privilege is checked. The
-- operator classes are found by type, whatever schema holds them.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gist;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'ledger periods need the btree_gist extension, which this login cannot create here: % (SQLSTATE %)',
            SQLERRM, SQLSTATE
        USING ERRCODE = SQLSTATE,
              HINT = 'As a superuser (or a login with CREATE on this database) run CREATE EXTENSION btree_gist; '
                     'in this database (Debian: it ships with the postgresql-15 package), then run reimburse migrate again. '
                     'Nothing of this migration was applied.';
END
$$;

-- ---- company.time_zone, company.require_approval --------------------------------------------
ALTER TABLE company
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC',
    ADD COLUMN require_approval boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN company.time_zone IS
    'IANA time zone name (Area/Location, e.g. Europe/Helsinki, or UTC) deciding the company''s "today": '
    'a job without posting_date posts on the company''s local date when it first starts.';
COMMENT ON COLUMN company.require_approval IS
    'Four eyes: every post job must approve (approves_job_id) a succeeded preview of the same operation '
    'that another login requested.';

-- Why a time zone name is refused, or NULL when it is fine. Accepted: 'UTC', and a name of the
-- server's time zone database spelled exactly as it lists it, of the form Area/Location
-- (Europe/Helsinki, America/Los_Angeles, Pacific/Kiritimati, also links like US/Eastern and
-- Etc/UTC). Refused, because they mislead or drift:
--   * offsets and POSIX strings ('+02', 'UTC+2', 'EST5EDT'): PostgreSQL reads the POSIX sign
--     the other way round ('UTC+2' is two hours BEHIND UTC) and they know no daylight saving;
--   * abbreviations and legacy names without a slash ('EST', 'CET', 'GMT', 'Japan'): 'EST' is
--     a fixed UTC-05 all year while New York is UTC-04 in summer;
--   * 'Etc/GMT+N' / 'Etc/GMT-N': the same inverted sign ('Etc/GMT+2' is UTC-02);
--   * 'posix/...' and 'right/...': copies in the host's zone files ('right/' counts leap
--     seconds, so its clock is off by about half a minute);
--   * another spelling of a known name ('europe/helsinki'): stored exactly as the database
--     spells it, so every reader compares it byte for byte.
-- STABLE, not IMMUTABLE: the server's zone files can change, so this is a trigger, not a CHECK.
CREATE FUNCTION company_time_zone_problem(zone text) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    spelled text;
BEGIN
    IF zone IS NULL OR zone = 'UTC' THEN
        RETURN NULL;
    END IF;
    IF zone ~ '^(posix|right)/' THEN
        RETURN format('%L is a copy in the host''s zone files (right/ counts leap seconds): use %L',
                      zone, regexp_replace(zone, '^(posix|right)/', ''));
    END IF;
    IF zone ~* '^Etc/GMT[+-][0-9]+$' THEN
        RETURN format('%L is a fixed offset with the POSIX sign, the other way round from ISO (it is UTC%s): '
                      'use the region name of the company''s seat, such as Europe/Helsinki', zone,
                      translate(substr(zone, 8, 1), '+-', '-+') || substr(zone, 9));
    END IF;
    IF position('/' IN zone) = 0 THEN
        RETURN format('%L is an abbreviation, an offset or a legacy name, not an IANA region name: '
                      'use Area/Location, such as Europe/Helsinki or America/New_York (or UTC)', zone);
    END IF;
    SELECT n.name INTO spelled
      FROM pg_catalog.pg_timezone_names n
     WHERE lower(n.name) = lower(zone)
     ORDER BY n.name = zone DESC, n.name
     LIMIT 1;
    IF spelled IS NULL THEN
        RETURN format('%L is not a time zone this PostgreSQL server knows (see pg_timezone_names): '
                      'use Area/Location, such as Europe/Helsinki or America/New_York (or UTC)', zone);
    END IF;
    IF spelled <> zone THEN
        RETURN format('%L is spelled %L in the time zone database: use that spelling', zone, spelled);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION company_check_time_zone() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    problem text := company_time_zone_problem(NEW.time_zone);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'company %: time_zone %', NEW.id, problem
            USING ERRCODE = 'check_violation', CONSTRAINT = 'company_time_zone_valid',
                  TABLE = 'company', COLUMN = 'time_zone';
    END IF;
    RETURN NEW;
END
$$;

-- 'UTC' (the default) needs no lookup; any other name costs one read of pg_timezone_names
-- (about 0.1 s), once per company insert or time zone change.
CREATE TRIGGER company_check_time_zone
    BEFORE INSERT OR UPDATE OF time_zone ON company
    FOR EACH ROW WHEN (NEW.time_zone IS DISTINCT FROM 'UTC')
    EXECUTE FUNCTION company_check_time_zone();

-- ---- reimbursement_job.effective_posting_date ----------------------------------------------
ALTER TABLE reimbursement_job
    ADD COLUMN effective_posting_date date,
    ADD CONSTRAINT reimbursement_job_effective_posting_date_range
        CHECK (effective_posting_date BETWEEN DATE '0001-01-01' AND DATE '9999-12-31');

COMMENT ON COLUMN reimbursement_job.effective_posting_date IS
    'Daemon-owned: the date the job posts on, fixed when it first starts (posting_date, else the company''s '
    'local date by company.time_zone) and kept when it resumes.';
COMMENT ON COLUMN reimbursement_job.posting_date IS
    'What the user asked: NULL means the company''s local date (company.time_zone) when the job first starts; '
    'the date used is effective_posting_date.';

-- Jobs that started before this migration: the daemon of 0001..0013 wrote the date it fixed
-- into posting_date with the first chunk's commit (with customers_total), so that is their
-- effective date. Jobs that never started resolve theirs when they start.
UPDATE reimbursement_job
   SET effective_posting_date = posting_date
 WHERE customers_total IS NOT NULL AND posting_date IS NOT NULL AND effective_posting_date IS NULL;

-- ---- requested_by from session_user; four eyes ---------------------------------------------
-- session_user is the login that opened the session: SET ROLE changes current_user, not it, so a
-- member of several roles cannot sign as another. (Only a superuser can change it, by SET SESSION
-- AUTHORIZATION.) Behind a pooler that logs every client in as one server login, every job
-- carries that login: four eyes needs one login per person.
ALTER TABLE reimbursement_job ALTER COLUMN requested_by SET DEFAULT session_user;

COMMENT ON COLUMN reimbursement_job.requested_by IS
    'The login that inserted the job (session_user), set by the database whatever the INSERT says; never changed.';

-- Why a job breaks four eyes, or NULL when it does not (or its company does not require it).
-- One wording for the INSERT trigger and for the daemon's check when the job starts (the setting
-- may have been turned on after the job was queued). SECURITY INVOKER: a login reads only what
-- row-level security lets it see (a company it cannot see has no setting for it, and its INSERT
-- is refused by the policy anyway).
CREATE FUNCTION reimbursement_job_four_eyes_problem(
    company text, job_mode text, job_operation text, requester text, approves bigint
) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    required          boolean;
    preparer          text;
    preview_operation text;
BEGIN
    IF job_mode IS DISTINCT FROM 'post' THEN
        RETURN NULL;
    END IF;
    SELECT c.require_approval INTO required FROM company c WHERE c.id = company;
    IF required IS NOT TRUE THEN
        RETURN NULL;
    END IF;
    IF approves IS NULL THEN
        RETURN format('company %s requires approval (four eyes): a %s job that posts must approve a preview '
                      'another login requested. Enqueue a preview (mode = ''preview''), then have another '
                      'login approve it (approves_job_id)', company, job_operation);
    END IF;
    SELECT p.requested_by, p.operation INTO preparer, preview_operation
      FROM reimbursement_job p
     WHERE p.company_id = company AND p.id = approves;
    IF NOT FOUND THEN
        RETURN NULL;  -- reimbursement_job_approves_succeeded_preview says so
    END IF;
    IF preparer = requester THEN
        RETURN format('company %s requires approval (four eyes): preview job %s was requested by %s, who cannot '
                      'approve it too; another login must insert the approving job', company, approves, requester);
    END IF;
    IF preview_operation IS DISTINCT FROM job_operation THEN
        RETURN format('company %s requires approval (four eyes): preview job %s is a %s preview and this is a %s '
                      'job; approve a preview of the same operation (operation = %L)',
                      company, approves, preview_operation, job_operation, preview_operation);
    END IF;
    RETURN NULL;
END
$$;

-- BEFORE INSERT: requested_by := session_user (whatever the INSERT gave), then four eyes. Named
-- so that it fires after reimbursement_job_check_approval (triggers fire in name order), which
-- first says whether approves_job_id names a succeeded preview at all.
CREATE FUNCTION reimbursement_job_controls() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    NEW.requested_by := session_user;
    problem := reimbursement_job_four_eyes_problem(
        NEW.company_id, NEW.mode, NEW.operation, NEW.requested_by, NEW.approves_job_id);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = 'check_violation', CONSTRAINT = 'reimbursement_job_four_eyes',
                  TABLE = 'reimbursement_job', COLUMN = 'approves_job_id';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reimbursement_job_controls
    BEFORE INSERT ON reimbursement_job
    FOR EACH ROW EXECUTE FUNCTION reimbursement_job_controls();

-- Who asked for a job is history: nobody rewrites it (not even the service role).
CREATE FUNCTION reimbursement_job_keep_requested_by() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job %: requested_by is set by the database when the job is inserted and never changes', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'reimbursement_job_requested_by_fixed',
              TABLE = 'reimbursement_job', COLUMN = 'requested_by';
END
$$;

CREATE TRIGGER reimbursement_job_keep_requested_by
    BEFORE UPDATE OF requested_by ON reimbursement_job
    FOR EACH ROW WHEN (NEW.requested_by IS DISTINCT FROM OLD.requested_by)
    EXECUTE FUNCTION reimbursement_job_keep_requested_by();

-- ---- ledger_period -------------------------------------------------------------------------
CREATE TABLE ledger_period (
    company_id    text NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    status        text NOT NULL DEFAULT 'open',
    CONSTRAINT ledger_period_pkey PRIMARY KEY (company_id, period_start),
    -- Periods are configuration of the company: they go with it.
    CONSTRAINT ledger_period_company_fk FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
    CONSTRAINT ledger_period_status_valid CHECK (status IN ('open', 'on_hold', 'closed')),
    CONSTRAINT ledger_period_dates_ordered CHECK (period_end >= period_start),
    CONSTRAINT ledger_period_company_id_length CHECK (char_length(company_id) <= 20),
    CONSTRAINT ledger_period_period_start_range
        CHECK (period_start BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'),
    CONSTRAINT ledger_period_period_end_range
        CHECK (period_end BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'),
    -- Both dates inclusive: '[]'. Touching periods (one ends on the 30th, the next starts on the
    -- 1st) do not overlap; two periods sharing a day do.
    CONSTRAINT ledger_period_no_overlap
        EXCLUDE USING gist (company_id WITH =, daterange(period_start, period_end, '[]') WITH &&)
);

COMMENT ON TABLE ledger_period IS
    'Accounting periods per company, both dates inclusive, never overlapping. A company with no row has no period '
    'control; otherwise a job posts only on a date inside an open period (PRODUCT.md section 6).';
COMMENT ON COLUMN ledger_period.status IS
    'open (postings allowed), on_hold or closed (refused: a job starting then fails, a running job stops at its next chunk).';

-- The period that covers a company's date, for the daemon: controlled is false when the company
-- has no period at all (no control), else period_start/period_end/status are those of the period
-- covering the date (NULL when none does). With lock = true the period row is taken FOR SHARE
-- until the caller's transaction ends: a chunk posting on that date holds it, so a finance
-- team's UPDATE (on_hold, closed) or DELETE of the period waits for the chunk in flight (a
-- second or so) and the next chunk sees the new status; no posting ever commits into a period
-- after its close committed. Nothing else is blocked: readers, other periods, other companies.
-- SECURITY DEFINER because a row lock needs UPDATE privilege, which the daemon's role must not
-- have on periods; the function only reads and share-locks.
CREATE FUNCTION ledger_period_for_posting(company text, posting_day date, lock boolean)
    RETURNS TABLE (controlled boolean, period_start date, period_end date, status text)
    LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    found_start date;
    found_end   date;
    found_status text;
BEGIN
    IF lock THEN
        SELECT p.period_start, p.period_end, p.status INTO found_start, found_end, found_status
          FROM ledger_period p
         WHERE p.company_id = company AND daterange(p.period_start, p.period_end, '[]') @> posting_day
           FOR SHARE;
    ELSE
        SELECT p.period_start, p.period_end, p.status INTO found_start, found_end, found_status
          FROM ledger_period p
         WHERE p.company_id = company AND daterange(p.period_start, p.period_end, '[]') @> posting_day;
    END IF;
    IF found_start IS NOT NULL THEN
        RETURN QUERY SELECT true, found_start, found_end, found_status;
    ELSE
        RETURN QUERY SELECT EXISTS (SELECT 1 FROM ledger_period p WHERE p.company_id = company),
                            NULL::date, NULL::date, NULL::text;
    END IF;
END
$$;

-- ---- search paths, privileges, row-level security ------------------------------------------
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION company_time_zone_problem(text) SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION company_check_time_zone() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION reimbursement_job_four_eyes_problem(text, text, text, text, bigint) '
                   'SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION reimbursement_job_controls() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION reimbursement_job_keep_requested_by() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ledger_period_for_posting(text, date, boolean) SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

REVOKE ALL ON FUNCTION company_time_zone_problem(text), company_check_time_zone(),
    reimbursement_job_four_eyes_problem(text, text, text, text, bigint), reimbursement_job_controls(),
    reimbursement_job_keep_requested_by(), ledger_period_for_posting(text, date, boolean)
    FROM PUBLIC;
-- The four-eyes rule runs inside the INSERT trigger as the inserting login.
GRANT EXECUTE ON FUNCTION reimbursement_job_four_eyes_problem(text, text, text, text, bigint)
    TO reimburse_service, reimburse_enqueue;
GRANT EXECUTE ON FUNCTION company_time_zone_problem(text) TO reimburse_service;
GRANT EXECUTE ON FUNCTION ledger_period_for_posting(text, date, boolean) TO reimburse_service;

REVOKE ALL ON ledger_period FROM PUBLIC;
GRANT SELECT ON ledger_period TO reimburse_service, reimburse_enqueue, reimburse_reporting;

ALTER TABLE ledger_period ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_period_service ON ledger_period
    FOR SELECT TO reimburse_service USING (true);
CREATE POLICY ledger_period_reader ON ledger_period
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));

-- ---- views ---------------------------------------------------------------------------------
-- reimbursement_report: prepared_by and approved_by follow status, as the contract orders its
-- columns (CREATE OR REPLACE VIEW can only append), so the view is made again and its grants
-- given again (those of 0005).
DROP VIEW reimbursement_report;

CREATE VIEW reimbursement_report WITH (security_invoker = true) AS
SELECT r.company_id,
       r.id                                   AS reimbursement_id,
       r.job_id,
       r.posting_date,
       r.voucher,
       r.customer_account,
       c.name                                 AS customer_name,
       r.vendor_account,
       v.name                                 AS vendor_name,
       v.one_time                             AS one_time_vendor,
       r.currency,
       r.amount,
       r.amount_accounting,
       vi.invoice_number,
       vi.amount - vi.settled_amount          AS open_amount,
       CASE
           WHEN vi.id IS NULL                     THEN NULL
           WHEN vi.settled_amount = 0             THEN 'open'
           WHEN vi.settled_amount >= vi.amount    THEN 'paid'
           ELSE 'partially_paid'
       END                                    AS status,
       p.requested_by                         AS prepared_by,
       j.requested_by                         AS approved_by,
       -- extras (not in the contract)
       r.one_time_vendor_created,
       r.vendor_invoice_id,
       vi.due_date
  FROM reimbursement r
  LEFT JOIN customer c           ON c.company_id = r.company_id AND c.account = r.customer_account
  LEFT JOIN vendor v             ON v.company_id = r.company_id AND v.account = r.vendor_account
  LEFT JOIN vendor_invoice vi    ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id
  LEFT JOIN reimbursement_job j  ON j.company_id = r.company_id AND j.id = r.job_id
  LEFT JOIN reimbursement_job p  ON p.company_id = j.company_id AND p.id = j.approves_job_id;

COMMENT ON VIEW reimbursement_report IS
    'One row per reimbursement with customer, vendor and vendor invoice; status open / partially_paid / paid from '
    'the invoice''s settled_amount; prepared_by = the approved preview''s requested_by, approved_by = the posting '
    'job''s requested_by.';

REVOKE ALL ON reimbursement_report FROM PUBLIC;
GRANT SELECT ON reimbursement_report TO reimburse_service, reimburse_enqueue, reimburse_reporting;

-- job_overview: the dates of a job, appended (extras).
CREATE OR REPLACE VIEW job_overview WITH (security_invoker = true) AS
SELECT j.id               AS job_id,
       j.company_id,
       j.mode,
       j.state,
       j.attempts,
       j.created_at,
       j.started_at,
       j.finished_at,
       j.customers_done,
       j.customers_total,
       COALESCE((j.result ->> 'reimbursements')::bigint, 0) AS reimbursements,
       COALESCE((SELECT sum(s.value::bigint)
                   FROM jsonb_each_text(
                            CASE WHEN jsonb_typeof(j.result -> 'customers' -> 'skipped') = 'object'
                                 THEN j.result -> 'customers' -> 'skipped'
                                 ELSE '{}'::jsonb END) AS s), 0)::bigint AS skipped,
       j.last_error,
       -- extras (not in the contract)
       j.cancel_requested,
       j.run_at,
       j.priority,
       j.requested_by,
       j.approves_job_id,
       j.posting_date,
       j.effective_posting_date
  FROM reimbursement_job j;
