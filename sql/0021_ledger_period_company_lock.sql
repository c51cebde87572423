-- 0021: every change to a company's ledger periods waits for the posting in flight.
--
-- 0014 share-locked the period row covering a chunk's date. A company without a period
-- covering that date (no period at all, or a gap) had no row to lock, so a finance session
-- could INSERT a closed period over the date while a chunk was posting on it, and the chunk
-- then committed into a period whose close committed first.
--
-- Now the lock is the company's row: a chunk takes it FOR SHARE (through
-- ledger_period_for_posting, SECURITY DEFINER), and every INSERT, UPDATE or DELETE of a
-- ledger_period takes it FOR NO KEY UPDATE first (trigger below), so it waits for the chunk in
-- flight (about a second) and the next chunk sees the change. FOR SHARE does not conflict with
-- the FOR KEY SHARE of foreign-key checks, so the ERP's inserts of customers and transactions
-- never wait; an UPDATE of the company row waits for the chunk in flight too. No other login
-- can take these locks: a row lock needs UPDATE privilege on company, which only its owner has.
-- Period rows themselves are no longer locked by chunks (one lock, one order: no deadlock
-- between a chunk and a finance session).

CREATE OR REPLACE FUNCTION ledger_period_for_posting(company text, posting_day date, lock boolean)
    RETURNS TABLE (controlled boolean, period_start date, period_end date, status text)
    LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    found_start date;
    found_end   date;
    found_status text;
BEGIN
    IF lock THEN
        PERFORM 1 FROM company c WHERE c.id = company FOR SHARE;
    END IF;
    -- A new statement, so it sees every period change committed before the lock was granted.
    SELECT p.period_start, p.period_end, p.status INTO found_start, found_end, found_status
      FROM ledger_period p
     WHERE p.company_id = company AND daterange(p.period_start, p.period_end, '[]') @> posting_day;
    IF found_start IS NOT NULL THEN
        RETURN QUERY SELECT true, found_start, found_end, found_status;
    ELSE
        RETURN QUERY SELECT EXISTS (SELECT 1 FROM ledger_period p WHERE p.company_id = company),
                            NULL::date, NULL::date, NULL::text;
    END IF;
END
$$;

CREATE FUNCTION ledger_period_lock_company() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM 1 FROM company c WHERE c.id = OLD.company_id FOR NO KEY UPDATE;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM 1 FROM company c WHERE c.id = NEW.company_id FOR NO KEY UPDATE;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- FOR EACH STATEMENT cannot see the rows; FOR EACH ROW before the change: the lock is taken
-- before the row is written, and held to the end of the finance session's transaction.
CREATE TRIGGER ledger_period_lock_company
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_period
    FOR EACH ROW EXECUTE FUNCTION ledger_period_lock_company();

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_period_for_posting(text, date, boolean) SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ledger_period_lock_company() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;
REVOKE ALL ON FUNCTION ledger_period_lock_company() FROM PUBLIC;
