-- 0015: reversal of reimbursements (PRODUCT.md section 8, issue 15).
--
-- A job with operation = 'reverse' names what to reverse (reverses_job_id: every reimbursement
-- that job posted; or reverses_reimbursement_ids) and why (reversal_reason). Per
-- reimbursement, atomically, the daemon posts a new voucher mirroring the original's lines
-- with opposite signs, closes the reimbursement debits with customer transactions of kind
-- reimbursement_reversal, reopens every transaction the reimbursement's settlements settled by
-- exactly what they settled, cancels the vendor invoice (settled_amount = amount, reversal_id
-- set) and writes a reimbursement_reversal row. Nothing is deleted; customer_settlement rows
-- stay as history: a settlement is active while its reimbursement has no reversal.
-- See sql/README.md, section "Reversal".

-- ---- reimbursement_job: what to reverse ----------------------------------------------------
ALTER TABLE reimbursement_job
    ADD COLUMN reverses_job_id bigint,
    ADD COLUMN reverses_reimbursement_ids bigint[],
    ADD COLUMN reversal_reason text,
    DROP CONSTRAINT reimbursement_job_operation_valid,
    ADD CONSTRAINT reimbursement_job_operation_valid CHECK (operation IN ('reimburse', 'reverse')),
    -- The reversed job is of the same company by construction of this key.
    ADD CONSTRAINT reimbursement_job_reverses_fk FOREIGN KEY (company_id, reverses_job_id)
        REFERENCES reimbursement_job (company_id, id) ON DELETE RESTRICT,
    ADD CONSTRAINT reimbursement_job_reversal_names_one_target CHECK (
        operation <> 'reverse' OR ((reverses_job_id IS NULL) <> (reverses_reimbursement_ids IS NULL))),
    ADD CONSTRAINT reimbursement_job_reversal_fields_only_for_reverse CHECK (
        operation = 'reverse'
        OR (reverses_job_id IS NULL AND reverses_reimbursement_ids IS NULL AND reversal_reason IS NULL)),
    ADD CONSTRAINT reimbursement_job_reversal_reason_present CHECK (
        operation <> 'reverse' OR (reversal_reason IS NOT NULL AND reversal_reason ~ '[^[:space:]]')),  -- tabs and line feeds are blank too
    ADD CONSTRAINT reimbursement_job_reversal_reason_length CHECK (char_length(reversal_reason) <= 2000),
    -- Same guards as the other selection arrays (sql/0010), and a list naming nothing is a
    -- mistake, not a request.
    ADD CONSTRAINT reimbursement_job_reversed_ids_no_null_elements CHECK (
        array_ndims(reverses_reimbursement_ids) IS DISTINCT FROM 1
        OR array_position(reverses_reimbursement_ids, NULL) IS NULL),
    ADD CONSTRAINT reimbursement_job_reversed_ids_one_dimension_from_1 CHECK (
        array_ndims(reverses_reimbursement_ids) = 1 AND array_lower(reverses_reimbursement_ids, 1) = 1),
    ADD CONSTRAINT reimbursement_job_reversed_ids_not_empty CHECK (
        cardinality(reverses_reimbursement_ids) >= 1);

CREATE INDEX reimbursement_job_reverses_idx
    ON reimbursement_job (company_id, reverses_job_id)
    WHERE reverses_job_id IS NOT NULL;

COMMENT ON COLUMN reimbursement_job.operation IS
    'What the job does: reimburse (PRODUCT.md section 1) or reverse (section 8); an approving job takes the operation of its preview (copied at INSERT).';
COMMENT ON COLUMN reimbursement_job.reverses_job_id IS
    'operation reverse: reverse every reimbursement this finished post job (same company) posted. Exactly one of reverses_job_id and reverses_reimbursement_ids.';
COMMENT ON COLUMN reimbursement_job.reverses_reimbursement_ids IS
    'operation reverse: reverse these reimbursements (ids of the same company).';
COMMENT ON COLUMN reimbursement_job.reversal_reason IS
    'operation reverse: why, for the auditor; required, not blank; copied to reimbursement_reversal.reason.';

GRANT INSERT (reverses_job_id, reverses_reimbursement_ids, reversal_reason) ON reimbursement_job TO reimburse_enqueue;

-- An approving job takes its operation and, for a reversal, what to reverse and why from its
-- preview (PRODUCT.md section 1: "the values on its own row are ignored"): copied here, so the
-- row says what the job does. Named to fire before the other BEFORE INSERT triggers
-- (alphabetical order), so that they judge the copied values.
CREATE FUNCTION reimbursement_job_approval_takes_preview() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    preview reimbursement_job%ROWTYPE;
BEGIN
    IF NEW.approves_job_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT * INTO preview FROM reimbursement_job j
     WHERE j.company_id = NEW.company_id AND j.id = NEW.approves_job_id;
    IF FOUND THEN
        -- Four eyes (0014) refuses an approval that names another operation than its preview's:
        -- a row that says so explicitly (not the default) in a company requiring approval keeps
        -- its operation, for reimbursement_job_controls to refuse with its message.
        IF NEW.operation <> 'reimburse' AND NEW.operation <> preview.operation
           AND (SELECT c.require_approval FROM company c WHERE c.id = NEW.company_id) THEN
            RETURN NEW;
        END IF;
        NEW.operation := preview.operation;
        NEW.reverses_job_id := preview.reverses_job_id;
        NEW.reverses_reimbursement_ids := preview.reverses_reimbursement_ids;
        NEW.reversal_reason := preview.reversal_reason;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reimbursement_job_approval_takes_preview
    BEFORE INSERT ON reimbursement_job
    FOR EACH ROW EXECUTE FUNCTION reimbursement_job_approval_takes_preview();

-- What a foreign key cannot say about a reversal's target: the reversed job is a finished
-- post job of operation reimburse, the listed reimbursements exist in the company, and a
-- posting date given at INSERT is not before any original's. SECURITY INVOKER: an enqueue
-- login sees only its companies' rows, as for approves_job_id.
CREATE FUNCTION reimbursement_job_check_reversal() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    target_mode      text;
    target_operation text;
    target_state     text;
    missing          bigint[];
    latest           date;
BEGIN
    IF NEW.operation IS DISTINCT FROM 'reverse' THEN
        RETURN NEW;
    END IF;
    IF NEW.reverses_job_id IS NOT NULL THEN
        SELECT j.mode, j.operation, j.state INTO target_mode, target_operation, target_state
          FROM reimbursement_job j
         WHERE j.company_id = NEW.company_id AND j.id = NEW.reverses_job_id;
        -- A missing job is left to reimbursement_job_reverses_fk.
        IF FOUND AND (target_mode <> 'post' OR target_operation <> 'reimburse'
                      OR target_state NOT IN ('succeeded', 'failed', 'cancelled')) THEN
            RAISE EXCEPTION 'reverses_job_id %: job % of company % is a % % job in state %, not a finished reimburse post job',
                    NEW.reverses_job_id, NEW.reverses_job_id, NEW.company_id, target_operation, target_mode, target_state
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'reimbursement_job_reverses_finished_post_job',
                      TABLE = 'reimbursement_job', COLUMN = 'reverses_job_id',
                      HINT = 'Reverse a post job once it has finished (succeeded, failed or cancelled).';
        END IF;
        SELECT max(r.posting_date) INTO latest
          FROM reimbursement r WHERE r.company_id = NEW.company_id AND r.job_id = NEW.reverses_job_id;
    ELSIF NEW.reverses_reimbursement_ids IS NOT NULL AND array_ndims(NEW.reverses_reimbursement_ids) = 1 THEN
        SELECT array_agg(DISTINCT wanted.id ORDER BY wanted.id) INTO missing
          FROM unnest(NEW.reverses_reimbursement_ids) AS wanted(id)
         WHERE wanted.id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM reimbursement r WHERE r.company_id = NEW.company_id AND r.id = wanted.id);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'reverses_reimbursement_ids: company % has no reimbursement %',
                    NEW.company_id, array_to_string(missing, ', ')
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'reimbursement_job_reverses_reimbursements_exist',
                      TABLE = 'reimbursement_job', COLUMN = 'reverses_reimbursement_ids',
                      HINT = 'List ids of reimbursements of the job''s company (reimbursement_report.reimbursement_id).';
        END IF;
        SELECT max(r.posting_date) INTO latest
          FROM reimbursement r
         WHERE r.company_id = NEW.company_id AND r.id = ANY (NEW.reverses_reimbursement_ids);
    END IF;
    IF NEW.posting_date IS NOT NULL AND latest IS NOT NULL AND NEW.posting_date < latest THEN
        RAISE EXCEPTION 'posting_date %: a reversal cannot be posted before the reimbursement it reverses (posted on %)',
                NEW.posting_date, latest
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'reimbursement_job_reversal_date_not_before_original',
                  TABLE = 'reimbursement_job', COLUMN = 'posting_date',
                  HINT = 'Give a posting_date on or after the original posting date, or leave it NULL.';
    END IF;
    RETURN NEW;
END
$$;

-- INSERT only: users change nothing of a job after it (the enqueue role may UPDATE only
-- cancel_requested), and the daemon fixes posting_date when the job first starts (a date
-- before an original's is then a per-reimbursement invalid_data skip).
CREATE TRIGGER reimbursement_job_check_reversal
    BEFORE INSERT ON reimbursement_job
    FOR EACH ROW EXECUTE FUNCTION reimbursement_job_check_reversal();

-- ---- reimbursement_reversal: one per reversed reimbursement ----------------------------------
CREATE TABLE reimbursement_reversal (
    company_id        text   NOT NULL,
    id                bigint GENERATED BY DEFAULT AS IDENTITY,
    reimbursement_id  bigint NOT NULL,
    job_id            bigint NOT NULL,
    voucher           text   NOT NULL,
    posting_date      date   NOT NULL,
    reason            text   NOT NULL,
    requested_by      text   NOT NULL,
    CONSTRAINT reimbursement_reversal_pkey PRIMARY KEY (company_id, id),
    -- Nothing is reversed twice.
    CONSTRAINT reimbursement_reversal_reimbursement_key UNIQUE (company_id, reimbursement_id),
    CONSTRAINT reimbursement_reversal_voucher_key UNIQUE (company_id, voucher),
    CONSTRAINT reimbursement_reversal_reimbursement_fk FOREIGN KEY (company_id, reimbursement_id)
        REFERENCES reimbursement (company_id, id),
    CONSTRAINT reimbursement_reversal_job_fk FOREIGN KEY (company_id, job_id)
        REFERENCES reimbursement_job (company_id, id)
);

CREATE INDEX reimbursement_reversal_job_idx ON reimbursement_reversal (company_id, job_id);

COMMENT ON TABLE reimbursement_reversal IS 'One row per reversed reimbursement: the reversal voucher, date, reason and who asked (PRODUCT.md section 8).';
COMMENT ON COLUMN reimbursement_reversal.requested_by IS 'requested_by of the job that posted the reversal.';

-- The reversal's ledger lines and invoice cancellation point at it. No foreign key on purpose
-- (one per inserted row on the bulk reimbursement path, NULL there): checked by reimburse verify.
ALTER TABLE ledger_entry ADD COLUMN reversal_id bigint;
ALTER TABLE vendor_invoice
    ADD COLUMN reversal_id bigint,
    -- A cancelled invoice has nothing left to pay.
    ADD CONSTRAINT vendor_invoice_cancelled_fully_settled CHECK (reversal_id IS NULL OR settled_amount = amount);

COMMENT ON COLUMN ledger_entry.reversal_id IS 'Set on the lines of a reversal voucher (reimbursement_reversal.id); reimbursement_id then names the reversed reimbursement.';
COMMENT ON COLUMN vendor_invoice.reversal_id IS 'Set when the reimbursement was reversed: the invoice is cancelled (settled_amount = amount, nothing left to pay).';

-- Reversal lines mirror their original's with opposite signs and the same posting types, so
-- the side of a posting type holds only for original vouchers.
ALTER TABLE ledger_entry
    DROP CONSTRAINT ledger_entry_posting_type_side,
    ADD CONSTRAINT ledger_entry_posting_type_side CHECK (
        CASE posting_type
            WHEN 'customer_reimbursement' THEN (amount > 0) = (reversal_id IS NULL)
            WHEN 'vendor_balance'         THEN (amount < 0) = (reversal_id IS NULL)
            ELSE true
        END);

-- ---- customer_transaction: the closing transactions ------------------------------------------
ALTER TABLE customer_transaction
    DROP CONSTRAINT customer_transaction_kind_valid,
    ADD CONSTRAINT customer_transaction_kind_valid CHECK (kind IN
        ('invoice', 'payment', 'credit_note', 'ledger_voucher', 'reimbursement', 'settlement',
         'reimbursement_reversal'));

COMMENT ON COLUMN customer_transaction.kind IS 'invoice, payment, credit_note, ledger_voucher, reimbursement, settlement or reimbursement_reversal.';

-- ---- reimbursement_skip: reasons of reversals (and of payment runs to come) ------------------
ALTER TABLE reimbursement_skip
    ADD COLUMN reimbursement_id bigint,
    DROP CONSTRAINT reimbursement_skip_reason_valid,
    ADD CONSTRAINT reimbursement_skip_reason_valid CHECK (reason IN
        ('on_hold', 'pending_settlement', 'open_debits', 'below_minimum',
         'vendor_not_found', 'changed_since_preview', 'invalid_data',
         'vendor_invoice_paid', 'already_reversed', 'in_payment')),
    -- A reverse (or pay) job writes one row per reimbursement it leaves alone, with its
    -- currency and amount: invalid_data has a currency there, and a NULL currency in a
    -- reimburse job.
    DROP CONSTRAINT reimbursement_skip_currency_matches_reason,
    ADD CONSTRAINT reimbursement_skip_currency_matches_reason CHECK (
        CASE
            WHEN reason IN ('below_minimum', 'changed_since_preview', 'vendor_invoice_paid', 'already_reversed',
                            'in_payment') THEN currency IS NOT NULL
            WHEN reason IN ('on_hold', 'pending_settlement', 'open_debits', 'vendor_not_found') THEN currency IS NULL
            WHEN reason = 'invalid_data' THEN (currency IS NULL) = (reimbursement_id IS NULL)
            ELSE true
        END);

COMMENT ON COLUMN reimbursement_skip.reason IS 'on_hold, pending_settlement, open_debits, below_minimum, vendor_not_found, changed_since_preview or invalid_data; for reversals vendor_invoice_paid, already_reversed (and invalid_data, changed_since_preview); in_payment for payment runs.';
COMMENT ON COLUMN reimbursement_skip.reimbursement_id IS 'Reverse jobs: the reimbursement left alone (also named in detail); NULL in reimburse jobs.';

-- ---- preview of a reversal -------------------------------------------------------------------
CREATE TABLE reimbursement_reversal_proposal (
    job_id                  bigint        NOT NULL,
    company_id              text          NOT NULL,
    reimbursement_id        bigint        NOT NULL,
    customer_account        text          NOT NULL,
    currency                currency_code NOT NULL,
    amount                  numeric(24,6) NOT NULL,
    amount_accounting       numeric(24,6) NOT NULL,
    voucher                 text          NOT NULL,
    credit_transaction_ids  bigint[]      NOT NULL,
    id                      bigint        GENERATED BY DEFAULT AS IDENTITY,
    CONSTRAINT reimbursement_reversal_proposal_pkey PRIMARY KEY (company_id, job_id, id),
    CONSTRAINT reimbursement_reversal_proposal_job_fk FOREIGN KEY (company_id, job_id)
        REFERENCES reimbursement_job (company_id, id) ON DELETE CASCADE
);

COMMENT ON TABLE reimbursement_reversal_proposal IS 'What a reverse preview job would reverse: one row per reimbursement, with the transactions it would reopen. An approval reverses exactly these.';

-- ---- access ------------------------------------------------------------------------------------
REVOKE ALL ON reimbursement_reversal, reimbursement_reversal_proposal FROM PUBLIC;
REVOKE ALL ON FUNCTION reimbursement_job_approval_takes_preview(), reimbursement_job_check_reversal() FROM PUBLIC;
GRANT SELECT, INSERT                 ON reimbursement_reversal          TO reimburse_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON reimbursement_reversal_proposal TO reimburse_service;
GRANT SELECT ON reimbursement_reversal, reimbursement_reversal_proposal TO reimburse_enqueue, reimburse_reporting;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO reimburse_service',
                   pg_catalog.pg_get_serial_sequence(format('%I.%I', current_schema(), 'reimbursement_reversal'), 'id'));
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO reimburse_service',
                   pg_catalog.pg_get_serial_sequence(
                       format('%I.%I', current_schema(), 'reimbursement_reversal_proposal'), 'id'));
    EXECUTE format('ALTER FUNCTION reimbursement_job_approval_takes_preview() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION reimbursement_job_check_reversal() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

ALTER TABLE reimbursement_reversal ENABLE ROW LEVEL SECURITY;
ALTER TABLE reimbursement_reversal_proposal ENABLE ROW LEVEL SECURITY;
CREATE POLICY reimbursement_reversal_service ON reimbursement_reversal
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_reversal_proposal_service ON reimbursement_reversal_proposal
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY reimbursement_reversal_reader ON reimbursement_reversal
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY reimbursement_reversal_proposal_reader ON reimbursement_reversal_proposal
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));

-- ---- the report's status 'reversed' ------------------------------------------------------------
-- reimbursement_report may have gained columns in other migrations (prepared_by, approved_by):
-- rather than restating its whole definition here, its stored definition gets one more WHEN
-- before 'open' (a cancelled invoice is fully settled and would otherwise read 'paid'). The
-- column list stays as it is.
DO $$
DECLARE
    definition text := pg_catalog.pg_get_viewdef(format('%I.reimbursement_report', current_schema())::regclass);
    rewritten  text;
BEGIN
    rewritten := regexp_replace(
        definition,
        '(WHEN \(vi\.id IS NULL\) THEN NULL::text)',
        E'\\1\n            WHEN (vi.reversal_id IS NOT NULL) THEN ''reversed''::text');
    IF rewritten = definition THEN
        RAISE EXCEPTION 'reimbursement_report: the status expression was not found in %', definition;
    END IF;
    EXECUTE format('CREATE OR REPLACE VIEW %I.reimbursement_report WITH (security_invoker = true) AS %s',
                   current_schema(), rewritten);
END
$$;

COMMENT ON VIEW reimbursement_report IS 'One row per reimbursement with customer, vendor and vendor invoice; status open / partially_paid / paid from the invoice''s settled_amount, reversed once the reimbursement is reversed.';
