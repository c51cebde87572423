-- 0022: the references between the tables the daemon fills are checked once per statement,
-- not once per row, and their referenced rows can never go away (issue 13).
--
-- A foreign key checks each inserted row with its own query, planned once per session. On the
-- output tables that plan depends on their statistics: analyzed while empty (a DBA's
-- database-wide VACUUM ANALYZE, autovacuum on a new table) it becomes a sequential scan of the
-- referenced table per inserted row, and a large job becomes quadratic (10.8 s instead of
-- 2.3 s at 20,000 customers; the COPY of customer_settlement and ledger_entry was 85% of it).
-- Even with good statistics it is one query and one row lock (FOR KEY SHARE, which writes
-- the referenced row) per inserted row.
--
-- These five foreign keys become statement-level AFTER INSERT and AFTER UPDATE triggers with
-- a transition table: one anti-join per statement (per COPY or INSERT of a chunk), raising
-- SQLSTATE 23503 with the same constraint name and the words PostgreSQL uses:
--     customer_settlement    (company_id, reimbursement_id)  -> reimbursement  customer_settlement_reimbursement_fk
--     ledger_entry           (company_id, reimbursement_id)  -> reimbursement  ledger_entry_reimbursement_fk
--     reimbursement_reversal (company_id, reimbursement_id)  -> reimbursement  reimbursement_reversal_reimbursement_fk
--     vendor_payment         (company_id, vendor_invoice_id) -> vendor_invoice vendor_payment_invoice_fk
--     vendor_payment         (company_id, payment_file_id)   -> payment_file   vendor_payment_file_fk (NULL passes)
-- The check's plan cannot depend on statistics: each written row probes the referenced
-- table's primary key (a correlated NOT EXISTS, kept a subplan by OFFSET 0), planned with
-- sequential, bitmap and index-only scans disabled, so no plan can read the referenced table
-- whole (an index-only scan without conditions was what an empty table's statistics chose).
-- It is planned afresh for every statement (EXECUTE), from the table's current size: a plan
-- cached while the table was empty cannot outlive that, as a foreign key's per-session plan
-- did. Measured: 500 rows checked against 200,000 reimbursements analyzed while empty, 0.6 ms.
-- They run as the schema owner (SECURITY DEFINER), as foreign-key checks do: row-level
-- security of the writing login does not hide a referenced row.
--
-- The referenced side: a foreign key also stops the referenced row from being deleted or
-- re-keyed while rows point at it. Here posted money is never deleted at all: a
-- reimbursement, a vendor invoice and a payment file refuse DELETE, TRUNCATE and any UPDATE
-- of company_id or id, for every login, whatever points at them (SQLSTATE 23001,
-- restrict_violation, constraint <table>_never_removed). That needs no lock on the referenced
-- row (a foreign key takes FOR KEY SHARE per inserted row) and is safe under concurrency and
-- in every isolation level: there is no moment at which a referenced row may go. No login
-- could delete these rows before (reimburse_service has no DELETE on them, the other roles
-- only read); now the table owner cannot either, short of disabling triggers.
--
-- Kept as row-level foreign keys (their referenced rows are deleted by other logins when
-- unreferenced: an ERP deletes customers and vendors, jobs are cleaned up; a statement-level
-- check without a lock is not safe against such a delete in REPEATABLE READ, and a delete
-- guard would need the foreign key's cross-check snapshot): the references to customer,
-- vendor, company and reimbursement_job. Their referenced tables are master data or the
-- queue, not the output tables, so their statistics describe them.
--
-- Each guarantee moved here is also checked after the fact by `reimburse verify`
-- (LedgerVerifier+References.swift): the *_reference checks.

ALTER TABLE customer_settlement DROP CONSTRAINT customer_settlement_reimbursement_fk;
ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_reimbursement_fk;
ALTER TABLE reimbursement_reversal DROP CONSTRAINT reimbursement_reversal_reimbursement_fk;
ALTER TABLE vendor_payment
    DROP CONSTRAINT vendor_payment_invoice_fk,
    DROP CONSTRAINT vendor_payment_file_fk;

-- ---- the checks ------------------------------------------------------------------------------
-- One function for every reference; the trigger's arguments name it:
--   TG_ARGV[0] the constraint's name, TG_ARGV[1] the referencing key column (with company_id),
--   TG_ARGV[2] the referenced table (key company_id, id).
-- `written` is the statement's transition table: every row the statement inserted or updated.
-- A NULL key passes, as with a foreign key.
CREATE FUNCTION check_statement_reference() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET enable_seqscan = off SET enable_bitmapscan = off SET enable_indexonlyscan = off
    AS $$
DECLARE
    orphan record;
BEGIN
    EXECUTE format($check$
        SELECT w.company_id, w.%1$I AS key
          FROM written w
         WHERE w.%1$I IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM %2$I r WHERE r.company_id = w.company_id AND r.id = w.%1$I OFFSET 0)
         LIMIT 1
        $check$, TG_ARGV[1], TG_ARGV[2]) INTO orphan;
    IF orphan.company_id IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0],
                  TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
                  DETAIL = format('Key (company_id, %s)=(%s, %s) is not present in table "%s".',
                                  TG_ARGV[1], orphan.company_id, orphan.key, TG_ARGV[2]);
    END IF;
    RETURN NULL;
END
$$;

-- A transition table cannot go with a column list (UPDATE OF ...): every UPDATE is checked,
-- which costs one anti-join per statement (the daemon updates vendor_payment.payment_file_id
-- once per payment file; nothing updates the others).
CREATE TRIGGER customer_settlement_reimbursement_fk_insert
    AFTER INSERT ON customer_settlement REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('customer_settlement_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER customer_settlement_reimbursement_fk_update
    AFTER UPDATE ON customer_settlement REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('customer_settlement_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER ledger_entry_reimbursement_fk_insert
    AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('ledger_entry_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER ledger_entry_reimbursement_fk_update
    AFTER UPDATE ON ledger_entry REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('ledger_entry_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER reimbursement_reversal_reimbursement_fk_insert
    AFTER INSERT ON reimbursement_reversal REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('reimbursement_reversal_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER reimbursement_reversal_reimbursement_fk_update
    AFTER UPDATE ON reimbursement_reversal REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('reimbursement_reversal_reimbursement_fk', 'reimbursement_id', 'reimbursement');
CREATE TRIGGER vendor_payment_invoice_fk_insert
    AFTER INSERT ON vendor_payment REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('vendor_payment_invoice_fk', 'vendor_invoice_id', 'vendor_invoice');
CREATE TRIGGER vendor_payment_invoice_fk_update
    AFTER UPDATE ON vendor_payment REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('vendor_payment_invoice_fk', 'vendor_invoice_id', 'vendor_invoice');
CREATE TRIGGER vendor_payment_file_fk_insert
    AFTER INSERT ON vendor_payment REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('vendor_payment_file_fk', 'payment_file_id', 'payment_file');
CREATE TRIGGER vendor_payment_file_fk_update
    AFTER UPDATE ON vendor_payment REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION check_statement_reference('vendor_payment_file_fk', 'payment_file_id', 'payment_file');

-- ---- the referenced rows stay --------------------------------------------------------------
-- TG_ARGV[0]: the references that point at the table, for the message.
CREATE FUNCTION refuse_removing_posted_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '% is posted money and is never truncated (rows of % point at it)', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_TABLE_NAME || '_never_removed',
                  TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
    ELSIF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% (company_id, id)=(%, %) is posted money and is never deleted (rows of % point at it)',
                        TG_TABLE_NAME, OLD.company_id, OLD.id, TG_ARGV[0]
            USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_TABLE_NAME || '_never_removed',
                  TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
    ELSIF NEW.company_id IS DISTINCT FROM OLD.company_id OR NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION '% (company_id, id)=(%, %) is posted money and its key never changes (rows of % point at it)',
                        TG_TABLE_NAME, OLD.company_id, OLD.id, TG_ARGV[0]
            USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_TABLE_NAME || '_never_removed',
                  TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reimbursement_never_removed
    BEFORE DELETE OR UPDATE OF company_id, id ON reimbursement
    FOR EACH ROW EXECUTE FUNCTION refuse_removing_posted_row('customer_settlement, ledger_entry and reimbursement_reversal');
CREATE TRIGGER reimbursement_never_truncated
    BEFORE TRUNCATE ON reimbursement
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removing_posted_row('customer_settlement, ledger_entry and reimbursement_reversal');
CREATE TRIGGER vendor_invoice_never_removed
    BEFORE DELETE OR UPDATE OF company_id, id ON vendor_invoice
    FOR EACH ROW EXECUTE FUNCTION refuse_removing_posted_row('vendor_payment');
CREATE TRIGGER vendor_invoice_never_truncated
    BEFORE TRUNCATE ON vendor_invoice
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removing_posted_row('vendor_payment');
CREATE TRIGGER payment_file_never_removed
    BEFORE DELETE OR UPDATE OF company_id, id ON payment_file
    FOR EACH ROW EXECUTE FUNCTION refuse_removing_posted_row('vendor_payment');
CREATE TRIGGER payment_file_never_truncated
    BEFORE TRUNCATE ON payment_file
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removing_posted_row('vendor_payment');

-- ---- access ----------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION check_statement_reference(), refuse_removing_posted_row() FROM PUBLIC;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['check_statement_reference', 'refuse_removing_posted_row'] LOOP
        EXECUTE format('ALTER FUNCTION %I() SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$$;

-- ---- the settled-credit UPDATE of a chunk -----------------------------------------------------
-- Sent as a plain statement, `UPDATE customer_transaction ... FROM unnest($ids, ...)` was
-- planned from the input table's statistics: with one company holding most rows, a hash join
-- over a sequential scan of all its transactions (33 ms per chunk of 700 credits against
-- 55,000 transactions; it grows with the company, so a large job turns quadratic). These
-- functions plan it with sequential and bitmap scans, hash and merge joins disabled: a nested
-- loop probing the primary key once per settled transaction, whatever the statistics. They
-- run as the caller (row-level security applies as before) and return the rows changed, which
-- the caller compares with the rows it meant to change.

-- A chunk's credits, each settled by exactly its remaining amount (`amounts` positive).
CREATE FUNCTION customer_transaction_settle_credits(
    company text, ids bigint[], amounts numeric[], amounts_accounting numeric[]) RETURNS bigint
    LANGUAGE sql
    SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
    AS $$
    WITH settled AS (
        UPDATE customer_transaction t
           SET settled_amount = t.settled_amount - s.amount,
               settled_amount_accounting = t.settled_amount_accounting - s.amount_accounting
          FROM unnest(ids, amounts, amounts_accounting) AS s(id, amount, amount_accounting)
         WHERE t.company_id = company AND t.id = s.id
           AND t.amount - t.settled_amount = -s.amount
        RETURNING 1)
    SELECT count(*) FROM settled
$$;

-- Netting (sql/0016): both sides settled by what they net, each only while still open by
-- exactly `open_before`.
CREATE FUNCTION customer_transaction_settle_netting(
    company text, ids bigint[], amounts numeric[], amounts_accounting numeric[], open_before numeric[]) RETURNS bigint
    LANGUAGE sql
    SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
    AS $$
    WITH settled AS (
        UPDATE customer_transaction t
           SET settled_amount = t.settled_amount + s.amount,
               settled_amount_accounting = t.settled_amount_accounting + s.amount_accounting
          FROM unnest(ids, amounts, amounts_accounting, open_before) AS s(id, amount, amount_accounting, open_before)
         WHERE t.company_id = company AND t.id = s.id AND t.amount - t.settled_amount = s.open_before
        RETURNING 1)
    SELECT count(*) FROM settled
$$;

REVOKE ALL ON FUNCTION customer_transaction_settle_credits(text, bigint[], numeric[], numeric[]),
    customer_transaction_settle_netting(text, bigint[], numeric[], numeric[], numeric[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customer_transaction_settle_credits(text, bigint[], numeric[], numeric[]),
    customer_transaction_settle_netting(text, bigint[], numeric[], numeric[], numeric[]) TO reimburse_service;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION customer_transaction_settle_credits(text, bigint[], numeric[], numeric[]) '
                   'SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION customer_transaction_settle_netting(text, bigint[], numeric[], numeric[], numeric[]) '
                   'SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$$;
