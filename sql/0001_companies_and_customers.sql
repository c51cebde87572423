-- 0001: companies, number sequences, customers, vendors and customer transactions.
--
-- These are the tables the user (ERP integration, tests, the demo) writes; PRODUCT.md section 2.
-- Applied by the Swift migrator inside one transaction: no BEGIN/COMMIT here, nothing that
-- cannot run in a transaction. Objects are created unqualified, in the migrator's current schema.
--
-- Conventions used in every migration:
--   * Every key of a company-owned table starts with company_id, and every foreign key between
--     company-owned tables leads with company_id, so that data of two companies can never be
--     linked to each other and every lookup is per company.
--   * Money is numeric(24,6): 18 integer digits and 6 decimals, exact. Sums are left unconstrained
--     numeric (exact); whatever has to be stored again is cast back and overflows loudly.
--   * Every constraint has a stable explicit name (clients and tests match on it): SQLSTATE 23514
--     (check), 23505 (unique), 23503 (foreign key) with the constraint name in the error.

-- ISO 4217 currency code. A domain gives one rule and one constraint name
-- (currency_code_format) for every currency column. Based on text, not char(3): char(n) pads
-- and strips blanks silently and makes comparisons with text parameters awkward; the check
-- makes it exactly three upper-case letters, which is what char(3) intended.
CREATE DOMAIN currency_code AS text
    CONSTRAINT currency_code_format CHECK (VALUE ~ '^[A-Z]{3}$');

COMMENT ON DOMAIN currency_code IS 'ISO 4217 code: exactly three upper-case letters A-Z.';

CREATE TABLE company (
    id                          text          NOT NULL,
    name                        text,
    accounting_currency         currency_code NOT NULL,
    minimum_reimbursement       numeric(24,6) NOT NULL DEFAULT 0,
    vendor_summary_account      text          NOT NULL,
    one_time_vendor_group       text,
    reimbursement_payment_days  int           NOT NULL DEFAULT 0,
    CONSTRAINT company_pkey PRIMARY KEY (id),
    -- Company codes appear in messages, logs, file names and CLI flags: short and printable.
    CONSTRAINT company_id_format CHECK (id ~ '^[A-Za-z0-9_.-]{1,20}$'),
    CONSTRAINT company_minimum_reimbursement_nonnegative CHECK (minimum_reimbursement >= 0),
    -- A due date before the invoice date is never meant.
    CONSTRAINT company_payment_days_nonnegative CHECK (reimbursement_payment_days >= 0),
    CONSTRAINT company_vendor_summary_account_not_blank CHECK (btrim(vendor_summary_account) <> '')
);

COMMENT ON TABLE company IS 'One row per legal entity. Inserting a company creates its three number sequences (and its queue row).';
COMMENT ON COLUMN company.id IS 'Company code, e.g. USMF: 1-20 characters of A-Z a-z 0-9 _ . -';
COMMENT ON COLUMN company.accounting_currency IS 'ISO 4217 code of the accounting currency.';
COMMENT ON COLUMN company.minimum_reimbursement IS 'In accounting currency, never negative: a (customer, currency) is reimbursed when its credit balance in accounting currency is at least this.';
COMMENT ON COLUMN company.vendor_summary_account IS 'Ledger account credited by reimbursement vouchers (posting_type vendor_balance).';
COMMENT ON COLUMN company.one_time_vendor_group IS 'vendor_group of one-time vendors created by reimbursement.';
COMMENT ON COLUMN company.reimbursement_payment_days IS 'Due date of created vendor invoices = posting date + this many days.';

-- Gap-free numbering: one row per company and name. The daemon takes the row FOR UPDATE in the
-- posting transaction and increments next_value there, so a rolled-back posting gives its
-- number back. (A PostgreSQL SEQUENCE is not transactional and would leave gaps.)
CREATE TABLE number_sequence (
    company_id  text   NOT NULL,
    name        text   NOT NULL,
    prefix      text   NOT NULL DEFAULT '',
    next_value  bigint NOT NULL DEFAULT 1,
    width       int    NOT NULL DEFAULT 8,
    CONSTRAINT number_sequence_pkey PRIMARY KEY (company_id, name),
    -- Sequences are configuration of the company: they go with it.
    CONSTRAINT number_sequence_company_fk FOREIGN KEY (company_id)
        REFERENCES company (id) ON DELETE CASCADE,
    CONSTRAINT number_sequence_name_valid
        CHECK (name IN ('reimbursement_voucher', 'vendor_invoice', 'one_time_vendor')),
    CONSTRAINT number_sequence_width_range CHECK (width BETWEEN 1 AND 30),
    CONSTRAINT number_sequence_next_value_positive CHECK (next_value >= 1),
    CONSTRAINT number_sequence_prefix_length CHECK (length(prefix) <= 20)
);

COMMENT ON TABLE number_sequence IS 'Gap-free per-company numbering. A number is prefix || lpad(value, width, ''0'') (a longer value is kept whole). Missing sequence = the job fails before posting.';
COMMENT ON COLUMN number_sequence.name IS 'reimbursement_voucher, vendor_invoice or one_time_vendor.';
COMMENT ON COLUMN number_sequence.next_value IS 'The next value to hand out (>= 1).';
COMMENT ON COLUMN number_sequence.width IS 'Zero-padding width of the value, 1..30.';

-- A new company gets its three sequences. Statement-level with a transition table, so a bulk
-- load of companies costs one trigger call. SECURITY DEFINER (search_path pinned below) so that
-- whoever may insert a company gets the sequences even if row-level security or grants would
-- not let that role write number_sequence itself.
CREATE FUNCTION company_create_number_sequences() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO number_sequence (company_id, name, prefix, next_value, width)
    SELECT c.id, s.name, s.prefix, 1, 8
      FROM new_companies c
     CROSS JOIN (VALUES ('reimbursement_voucher', 'RV-'),
                        ('vendor_invoice',        'VI-'),
                        ('one_time_vendor',       'OTV-')) AS s(name, prefix)
    ON CONFLICT (company_id, name) DO NOTHING;
    RETURN NULL;
END
$$;

-- Pin the search_path of the SECURITY DEFINER function to pg_catalog and the schema these
-- migrations are applied to (whatever it is named), pg_temp last: no caller can redirect its
-- table names.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION company_create_number_sequences() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

CREATE TRIGGER company_create_number_sequences
    AFTER INSERT ON company
    REFERENCING NEW TABLE AS new_companies
    FOR EACH STATEMENT EXECUTE FUNCTION company_create_number_sequences();

CREATE TABLE customer (
    company_id      text          NOT NULL,
    account         text          NOT NULL,
    name            text,
    customer_group  text,
    currency        currency_code NOT NULL,
    vendor_account  text,
    on_hold         boolean       NOT NULL DEFAULT false,
    address         text,
    CONSTRAINT customer_pkey PRIMARY KEY (company_id, account),
    CONSTRAINT customer_company_fk FOREIGN KEY (company_id) REFERENCES company (id),
    CONSTRAINT customer_account_format CHECK (account ~ '^\S(.*\S)?$' AND length(account) <= 64)
    -- No foreign key on vendor_account: a customer pointing at a vendor that does not exist is a
    -- legal state reported by the job as skip reason vendor_not_found.
);

-- Selection by customer_groups.
CREATE INDEX customer_group_idx ON customer (company_id, customer_group);

COMMENT ON TABLE customer IS 'Customers per company. vendor_account (nullable) names the vendor that stands for the same party; unknown accounts give skip reason vendor_not_found.';
COMMENT ON COLUMN customer.on_hold IS 'true: the customer is skipped (reason on_hold).';
COMMENT ON COLUMN customer.vendor_account IS 'Vendor to reimburse; NULL: the one-time vendor of this customer, created when missing. Deliberately no foreign key.';

CREATE TABLE vendor (
    company_id        text          NOT NULL,
    account           text          NOT NULL,
    name              text,
    vendor_group      text,
    currency          currency_code NOT NULL,
    address           text,
    one_time          boolean       NOT NULL DEFAULT false,
    customer_account  text,
    CONSTRAINT vendor_pkey PRIMARY KEY (company_id, account),
    CONSTRAINT vendor_company_fk FOREIGN KEY (company_id) REFERENCES company (id),
    CONSTRAINT vendor_account_format CHECK (account ~ '^\S(.*\S)?$' AND length(account) <= 64)
    -- customer_account has no foreign key: vendors may be loaded before customers, and the
    -- one-time vendor lookup simply finds nothing for an unknown customer.
);

-- "The one-time vendor earlier created for this customer": lowest account first.
CREATE INDEX vendor_one_time_customer_idx ON vendor (company_id, customer_account, account)
    WHERE one_time;

COMMENT ON TABLE vendor IS 'Vendors per company. One-time vendors created by reimbursement have one_time = true and customer_account set.';
COMMENT ON COLUMN vendor.customer_account IS 'For one-time vendors: the customer it was created for. Several: the lowest account is used.';

-- Customer transactions. The daemon updates settled_amount(_accounting) of every credit it
-- settles. Storage choices for that update (see ENGINEERING-NOTES, "update of the settled
-- credits is never HOT when an index covers settled_amount"):
--   * no index mentions settled_amount, settled_amount_accounting or marked_for_settlement, and
--     the open-transaction lookup index below is deliberately NOT partial on
--     "amount <> settled_amount": a partial index predicate on those columns makes every
--     settlement a non-HOT update (new index entries, full-page images, ~790 MB WAL at 1M);
--   * fillfactor 75 leaves room on each heap page so that the new row version fits on the same
--     page, which HOT needs. Measured on PostgreSQL 15 with a quarter of the rows being open
--     credits, all settled in one UPDATE: fillfactor 100 -> 0% HOT, 85 -> 63%, 80 -> 93%,
--     75 -> 100%. Cost: about a third more heap pages for a table that is never updated;
--     pruning of the dead versions frees the room again for the next run.
CREATE TABLE customer_transaction (
    company_id                 text          NOT NULL,
    id                         bigint        GENERATED BY DEFAULT AS IDENTITY,
    customer_account           text          NOT NULL,
    voucher                    text,
    transaction_date           date          NOT NULL DEFAULT current_date,
    kind                       text          NOT NULL,
    currency                   currency_code NOT NULL,
    amount                     numeric(24,6) NOT NULL,
    amount_accounting          numeric(24,6) NOT NULL,
    settled_amount             numeric(24,6) NOT NULL DEFAULT 0,
    settled_amount_accounting  numeric(24,6) NOT NULL DEFAULT 0,
    ledger_account             text          NOT NULL,
    marked_for_settlement      boolean       NOT NULL DEFAULT false,
    CONSTRAINT customer_transaction_pkey PRIMARY KEY (company_id, id),
    CONSTRAINT customer_transaction_customer_fk FOREIGN KEY (company_id, customer_account)
        REFERENCES customer (company_id, account),
    CONSTRAINT customer_transaction_kind_valid CHECK (kind IN
        ('invoice', 'payment', 'credit_note', 'ledger_voucher', 'reimbursement', 'settlement')),
    -- Debit positive, credit negative, never 0.
    CONSTRAINT customer_transaction_amount_nonzero CHECK (amount <> 0),
    CONSTRAINT customer_transaction_accounting_same_sign CHECK (sign(amount_accounting) = sign(amount)),
    -- Settled part: same sign as the amount, never beyond it (0 <= |settled| <= |amount|),
    -- in transaction currency and in accounting currency. This is also what makes a double
    -- settlement of a credit (a double posting) impossible.
    CONSTRAINT customer_transaction_settled_within_amount CHECK (
        CASE WHEN amount > 0 THEN settled_amount BETWEEN 0 AND amount
             ELSE settled_amount BETWEEN amount AND 0 END),
    CONSTRAINT customer_transaction_settled_accounting_within_amount CHECK (
        CASE WHEN amount_accounting > 0 THEN settled_amount_accounting BETWEEN 0 AND amount_accounting
             ELSE settled_amount_accounting BETWEEN amount_accounting AND 0 END),
    CONSTRAINT customer_transaction_ledger_account_not_blank CHECK (btrim(ledger_account) <> '')
) WITH (fillfactor = 75);

-- Open-transaction lookup per customer (also serves the foreign key above on customer delete).
-- Full, not partial: see the table comment above (keeps settlement updates HOT).
CREATE INDEX customer_transaction_customer_idx ON customer_transaction (company_id, customer_account);

COMMENT ON TABLE customer_transaction IS 'Customer ledger. Open = amount - settled_amount <> 0; credits negative, debits positive. id is generated when not given (explicit ids must not collide with the identity sequence).';
COMMENT ON COLUMN customer_transaction.kind IS 'invoice, payment, credit_note, ledger_voucher, reimbursement or settlement.';
COMMENT ON COLUMN customer_transaction.amount IS 'Transaction currency; debit positive, credit negative, never 0.';
COMMENT ON COLUMN customer_transaction.amount_accounting IS 'Accounting currency; same sign as amount.';
COMMENT ON COLUMN customer_transaction.settled_amount IS 'Settled part, same sign as amount, never beyond it.';
COMMENT ON COLUMN customer_transaction.settled_amount_accounting IS 'Settled part in accounting currency, same sign as amount_accounting, never beyond it.';
COMMENT ON COLUMN customer_transaction.marked_for_settlement IS 'A settlement is being prepared elsewhere: the customer is skipped (pending_settlement).';
