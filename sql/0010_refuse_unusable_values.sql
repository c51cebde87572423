-- 0010: refuse at INSERT/UPDATE every value the rules cannot use (issue 11 kind 7, issue 12
-- item 7).
--
-- PostgreSQL accepts values in the user-written tables that Reimburse cannot compute with:
-- numeric 'NaN' (it equals itself and sorts above every number, so "amount <> 0" and
-- "x >= 0" both pass it), dates '±infinity', BC dates and years beyond 9999, timestamps
-- '±infinity', arrays with NULL elements, two dimensions or subscripts not starting at 1,
-- settings far outside any sane range, and keys too long for a btree index entry. Before this
-- migration such a value was discovered half-way through a job ("amount NaN does not fit",
-- "date infinity is out of range", "unexpected NULL for String", idle workers logging
-- "cannot subtract infinite timestamps", or PostgreSQL's raw "index row size exceeds btree
-- maximum"). Each is now refused by a named CHECK constraint whose name says what is wrong.
--
-- Ranges chosen (also in sql/README.md, section 5):
--   * dates: 0001-01-01 .. 9999-12-31, the years the engine's LocalDate and the "YYYY-MM-DD"
--     text handle (a four-digit year, no BC);
--   * timestamps (run_at): from 0001-01-01 00:00 UTC, before 10000-01-01 00:00 UTC;
--   * money: finite (numeric(24,6) already refuses ±Infinity by its type, error 22003; NaN is
--     the value only a check can refuse). Written as abs(x) < 'Infinity', which is false for
--     NaN (NaN sorts above Infinity) and for ±Infinity, so it stays right if a column is ever
--     widened to unconstrained numeric;
--   * reimbursement_payment_days: 0 .. 3650 (ten years);
--   * text arrays (customer_accounts, customer_groups): one dimension, subscripts from 1,
--     no NULL element (NULL for the whole array keeps its meaning: "not used");
--   * keys in btree indexes that users write: dedupe_key at most 255 characters, company
--     codes in child tables at most 20 (company_id_format), customer accounts at most 64
--     (customer_account_format), customer groups at most 64, role names at most 63 bytes
--     (PostgreSQL truncates longer role names, so such a row could never match a role).
--
-- Rows written before this migration: every constraint is added NOT VALID (new and updated
-- rows are checked from here on), then the block at the end counts, per constraint, the
-- existing rows that break it. When there are none, the constraint is validated. When there
-- are some, the migration raises one error listing each constraint with its table and row
-- count, and the migrator rolls the whole file back (one transaction): nothing is half
-- applied, and `reimburse migrate` can be run again once those rows are corrected.

-- ---- company -------------------------------------------------------------------------------
ALTER TABLE company
    ADD CONSTRAINT company_minimum_reimbursement_finite
        CHECK (abs(minimum_reimbursement) < 'Infinity') NOT VALID,
    ADD CONSTRAINT company_payment_days_range
        CHECK (reimbursement_payment_days BETWEEN 0 AND 3650) NOT VALID;

-- ---- number_sequence -----------------------------------------------------------------------
-- name is checked by number_sequence_name_valid, width by number_sequence_width_range,
-- next_value by number_sequence_next_value_positive (its top is bigint's: the daemon reports
-- an exhausted sequence by name).
ALTER TABLE number_sequence
    ADD CONSTRAINT number_sequence_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID;

-- ---- customer ------------------------------------------------------------------------------
ALTER TABLE customer
    ADD CONSTRAINT customer_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID,
    ADD CONSTRAINT customer_customer_group_length
        CHECK (char_length(customer_group) <= 64) NOT VALID;

-- ---- vendor --------------------------------------------------------------------------------
ALTER TABLE vendor
    ADD CONSTRAINT vendor_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID,
    ADD CONSTRAINT vendor_customer_account_length
        CHECK (char_length(customer_account) <= 64) NOT VALID;

-- ---- customer_transaction ------------------------------------------------------------------
ALTER TABLE customer_transaction
    ADD CONSTRAINT customer_transaction_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID,
    ADD CONSTRAINT customer_transaction_customer_account_length
        CHECK (char_length(customer_account) <= 64) NOT VALID,
    ADD CONSTRAINT customer_transaction_transaction_date_range
        CHECK (transaction_date BETWEEN DATE '0001-01-01' AND DATE '9999-12-31') NOT VALID,
    ADD CONSTRAINT customer_transaction_amount_finite
        CHECK (abs(amount) < 'Infinity') NOT VALID,
    ADD CONSTRAINT customer_transaction_amount_accounting_finite
        CHECK (abs(amount_accounting) < 'Infinity') NOT VALID,
    ADD CONSTRAINT customer_transaction_settled_amount_finite
        CHECK (abs(settled_amount) < 'Infinity') NOT VALID,
    ADD CONSTRAINT customer_transaction_settled_amount_accounting_finite
        CHECK (abs(settled_amount_accounting) < 'Infinity') NOT VALID;

-- ---- reimbursement_job ---------------------------------------------------------------------
-- An array check must not raise on a two-dimensional array (array_position does: "searching
-- for elements in multidimensional arrays is not supported"), so the NULL-element checks look
-- only at one-dimensional arrays and leave the others to the *_one_dimension_from_1 checks.
-- An empty array ('{}', no dimensions) is fine: it selects nothing from that list.
ALTER TABLE reimbursement_job
    ADD CONSTRAINT reimbursement_job_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID,
    ADD CONSTRAINT reimbursement_job_customer_accounts_no_null_elements
        CHECK (array_ndims(customer_accounts) IS DISTINCT FROM 1
               OR array_position(customer_accounts, NULL) IS NULL) NOT VALID,
    ADD CONSTRAINT reimbursement_job_customer_accounts_one_dimension_from_1
        CHECK (cardinality(customer_accounts) = 0
               OR (array_ndims(customer_accounts) = 1 AND array_lower(customer_accounts, 1) = 1)) NOT VALID,
    ADD CONSTRAINT reimbursement_job_customer_groups_no_null_elements
        CHECK (array_ndims(customer_groups) IS DISTINCT FROM 1
               OR array_position(customer_groups, NULL) IS NULL) NOT VALID,
    ADD CONSTRAINT reimbursement_job_customer_groups_one_dimension_from_1
        CHECK (cardinality(customer_groups) = 0
               OR (array_ndims(customer_groups) = 1 AND array_lower(customer_groups, 1) = 1)) NOT VALID,
    ADD CONSTRAINT reimbursement_job_posting_date_range
        CHECK (posting_date BETWEEN DATE '0001-01-01' AND DATE '9999-12-31') NOT VALID,
    ADD CONSTRAINT reimbursement_job_run_at_range
        CHECK (run_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00'
               AND run_at < TIMESTAMPTZ '10000-01-01 00:00:00+00') NOT VALID,
    ADD CONSTRAINT reimbursement_job_dedupe_key_length
        CHECK (char_length(dedupe_key) <= 255) NOT VALID;

-- ---- company_access ------------------------------------------------------------------------
ALTER TABLE company_access
    ADD CONSTRAINT company_access_company_id_length
        CHECK (char_length(company_id) <= 20) NOT VALID,
    ADD CONSTRAINT company_access_role_name_length
        CHECK (octet_length(role_name) <= 63) NOT VALID;

-- ---- vendor_invoice.settled_amount (accounts payable raises it when it pays) ---------------
ALTER TABLE vendor_invoice
    ADD CONSTRAINT vendor_invoice_settled_amount_finite
        CHECK (abs(settled_amount) < 'Infinity') NOT VALID;

-- ---- existing rows -------------------------------------------------------------------------
-- Validate every constraint above, or name every one that existing rows break and roll the
-- whole migration back. A CHECK passes when its expression is NULL, so the rows that break one
-- are those where NOT (expression) is true.
DO $$
DECLARE
    added text[] := ARRAY[
        'company_minimum_reimbursement_finite', 'company_payment_days_range',
        'number_sequence_company_id_length',
        'customer_company_id_length', 'customer_customer_group_length',
        'vendor_company_id_length', 'vendor_customer_account_length',
        'customer_transaction_company_id_length', 'customer_transaction_customer_account_length',
        'customer_transaction_transaction_date_range', 'customer_transaction_amount_finite',
        'customer_transaction_amount_accounting_finite', 'customer_transaction_settled_amount_finite',
        'customer_transaction_settled_amount_accounting_finite',
        'reimbursement_job_company_id_length',
        'reimbursement_job_customer_accounts_no_null_elements',
        'reimbursement_job_customer_accounts_one_dimension_from_1',
        'reimbursement_job_customer_groups_no_null_elements',
        'reimbursement_job_customer_groups_one_dimension_from_1',
        'reimbursement_job_posting_date_range', 'reimbursement_job_run_at_range',
        'reimbursement_job_dedupe_key_length',
        'company_access_company_id_length', 'company_access_role_name_length',
        'vendor_invoice_settled_amount_finite'];
    c         record;
    broken    bigint;
    problems  text[] := '{}';
BEGIN
    FOR c IN
        SELECT con.conrelid::regclass AS relation, con.conname::text AS name,
               pg_get_expr(con.conbin, con.conrelid) AS expression
          FROM pg_catalog.pg_constraint con
         WHERE con.connamespace = current_schema()::regnamespace
           AND con.contype = 'c' AND NOT con.convalidated
           AND con.conname = ANY (added)
         ORDER BY con.conname
    LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE NOT (%s)', c.relation, c.expression) INTO broken;
        IF broken > 0 THEN
            problems := problems || format('%s (%s row(s) of %s)', c.name, broken, c.relation);
        ELSE
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.relation, c.name);
        END IF;
    END LOOP;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'existing rows hold values the rules cannot use: %', array_to_string(problems, '; ')
            USING ERRCODE = 'check_violation',
                  HINT = 'Correct or delete those rows (sql/README.md, section 5, shows the query for each '
                         'constraint), then run reimburse migrate again; nothing of this migration was applied.';
    END IF;
END
$$;
