-- 0019: bank accounts (PRODUCT.md sections 2 and 9): the company's paying account, one account
-- per customer and per vendor, checked when written; and the payment_voucher number sequence.
--
--   company.bank_account_iban, bank_account_bic  the company's paying account (the debtor of
--                                                its payment files); NULL until a company pays
--   company.bank_ledger_account                  ledger account credited by payment vouchers
--   company.payment_format                       pain.001.001.09 (default) or pain.001.001.03
--   customer_bank_account (company_id, customer_account, iban, bic)   one per customer
--   vendor_bank_account   (company_id, vendor_account, iban, bic)     one per vendor
--   number_sequence 'payment_voucher'            gap-free numbers of payment vouchers (PV-),
--                                                for every company, existing ones too
--
-- IBANs are written in their electronic form: capitals and digits, no spaces (the form a
-- payment file carries; comparing "DE89 3704..." with "de8937..." byte for byte would see two
-- accounts). Checked by named constraints, so that a bad account is refused at INSERT, never
-- discovered by a payment run:
--   *_iban_format        two capital letters of a country in the SWIFT IBAN registry, two
--                        check digits, then capitals and digits, exactly the registry's length
--                        for that country (iban_length_for_country; lengths of release 99 of
--                        the SWIFT IBAN Registry, the official entries only);
--   *_iban_check_digits  ISO 13616-1 / ISO 7064 MOD 97-10: the four first characters moved to
--                        the end, letters replaced by 10..35, the number modulo 97 is 1
--                        (iban_mod97). Judged only when the format holds, so a malformed IBAN is
--                        named by *_iban_format alone;
--   *_bic_format         ISO 9362: 4 letters (institution), 2 letters (country), 2 letters or
--                        digits (location), optionally 3 letters or digits (branch). NULL
--                        allowed: SEPA transfers need no BIC (IBAN-only since 2016); a generic
--                        (non-SEPA) transfer to a creditor without one is skipped
--                        no_bank_account by the payment run.

-- ---- IBAN and BIC rules ----------------------------------------------------------------------
-- Length of the IBAN of each country of the SWIFT IBAN registry; NULL for any other code.
CREATE FUNCTION iban_length_for_country(country text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT l.length FROM (VALUES
        ('AD', 24), ('AE', 23), ('AL', 28), ('AT', 20), ('AX', 18), ('AZ', 28), ('BA', 20), ('BE', 16),
        ('BG', 22), ('BH', 22), ('BI', 27), ('BL', 27), ('BR', 29), ('BY', 28), ('CH', 21), ('CR', 22),
        ('CY', 28), ('CZ', 24), ('DE', 22), ('DJ', 27), ('DK', 18), ('DO', 28), ('EE', 20), ('EG', 29),
        ('ES', 24), ('FI', 18), ('FK', 18), ('FO', 18), ('FR', 27), ('GB', 22), ('GE', 22), ('GF', 27),
        ('GG', 22), ('GI', 23), ('GL', 18), ('GP', 27), ('GR', 27), ('GT', 28), ('HN', 28), ('HR', 21),
        ('HU', 28), ('IE', 22), ('IL', 23), ('IM', 22), ('IQ', 23), ('IS', 26), ('IT', 27), ('JE', 22),
        ('JO', 30), ('KW', 30), ('KZ', 20), ('LB', 28), ('LC', 32), ('LI', 21), ('LT', 20), ('LU', 20),
        ('LV', 21), ('LY', 25), ('MC', 27), ('MD', 24), ('ME', 22), ('MF', 27), ('MK', 19), ('MN', 20),
        ('MQ', 27), ('MR', 27), ('MT', 31), ('MU', 30), ('NC', 27), ('NI', 28), ('NL', 18), ('NO', 15),
        ('OM', 23), ('PF', 27), ('PK', 24), ('PL', 28), ('PM', 27), ('PS', 29), ('PT', 25), ('QA', 29),
        ('RE', 27), ('RO', 24), ('RS', 22), ('RU', 33), ('SA', 24), ('SC', 31), ('SD', 18), ('SE', 24),
        ('SI', 19), ('SK', 24), ('SM', 27), ('SO', 23), ('ST', 25), ('SV', 28), ('TF', 27), ('TL', 23),
        ('TN', 24), ('TR', 26), ('UA', 29), ('VA', 22), ('VG', 24), ('WF', 27), ('XK', 20), ('YE', 30),
        ('YT', 27)
    ) AS l(country, length)
    WHERE l.country = $1
$$;

COMMENT ON FUNCTION iban_length_for_country(text) IS
    'IBAN length of a country of the SWIFT IBAN registry (official entries), NULL for any other code.';

-- True when the IBAN has the registry's shape for its country (not the check digits).
CREATE FUNCTION iban_format_valid(iban text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1 ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'
           AND char_length($1) IS NOT DISTINCT FROM iban_length_for_country(left($1, 2))
$$;

-- ISO 7064 MOD 97-10 of an IBAN of the right shape: the first four characters moved to the end,
-- each letter replaced by its number (A = 10 .. Z = 35), the whole taken modulo 97 as an exact
-- numeric (at most 68 digits). A valid IBAN gives 1.
CREATE FUNCTION iban_mod97(iban text) RETURNS int
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (string_agg(CASE WHEN d.ch BETWEEN '0' AND '9' THEN d.ch ELSE (ascii(d.ch) - 55)::text END,
                       '' ORDER BY d.pos)::numeric % 97)::int
      FROM unnest(string_to_array(substr($1, 5) || left($1, 4), NULL)) WITH ORDINALITY AS d(ch, pos)
$$;

-- The check-digit constraint's expression: true when the shape is wrong (left to the format
-- constraint) or the check digits are right.
CREATE FUNCTION iban_check_digits_valid(iban text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN $1 IS NULL OR NOT iban_format_valid($1) THEN true ELSE iban_mod97($1) = 1 END
$$;

CREATE FUNCTION bic_format_valid(bic text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $1 ~ '^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$'
$$;

-- Pinned search_path (as in 0001): the functions find each other in this schema whatever the
-- caller's search_path is.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION iban_format_valid(text) SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION iban_check_digits_valid(text) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$$;

GRANT EXECUTE ON FUNCTION iban_length_for_country(text), iban_format_valid(text), iban_mod97(text),
    iban_check_digits_valid(text), bic_format_valid(text)
    TO reimburse_service, reimburse_enqueue, reimburse_reporting;

-- ---- company: the paying account ---------------------------------------------------------------
ALTER TABLE company
    ADD COLUMN bank_account_iban text,
    ADD COLUMN bank_account_bic text,
    ADD COLUMN bank_ledger_account text,
    ADD COLUMN payment_format text NOT NULL DEFAULT 'pain.001.001.09',
    ADD CONSTRAINT company_bank_account_iban_format CHECK (iban_format_valid(bank_account_iban)),
    ADD CONSTRAINT company_bank_account_iban_check_digits CHECK (iban_check_digits_valid(bank_account_iban)),
    ADD CONSTRAINT company_bank_account_bic_format CHECK (bic_format_valid(bank_account_bic)),
    ADD CONSTRAINT company_bank_ledger_account_not_blank
        CHECK (btrim(bank_ledger_account) <> '' AND char_length(bank_ledger_account) <= 64),
    ADD CONSTRAINT company_payment_format_valid
        CHECK (payment_format IN ('pain.001.001.09', 'pain.001.001.03'));

COMMENT ON COLUMN company.bank_account_iban IS
    'IBAN of the company''s paying account (electronic form: capitals and digits, no spaces; ISO 13616 check digits). Required by pay jobs.';
COMMENT ON COLUMN company.bank_account_bic IS 'BIC (ISO 9362, 8 or 11 characters) of the paying account''s bank; optional.';
COMMENT ON COLUMN company.bank_ledger_account IS 'Ledger account credited by payment vouchers (posting_type bank). Required by pay jobs.';
COMMENT ON COLUMN company.payment_format IS 'ISO 20022 message of payment files: pain.001.001.09 (default) or pain.001.001.03.';

-- ---- customer_bank_account, vendor_bank_account ------------------------------------------------
CREATE TABLE customer_bank_account (
    company_id        text NOT NULL,
    customer_account  text NOT NULL,
    iban              text NOT NULL,
    bic               text,
    CONSTRAINT customer_bank_account_pkey PRIMARY KEY (company_id, customer_account),
    CONSTRAINT customer_bank_account_customer_fk FOREIGN KEY (company_id, customer_account)
        REFERENCES customer (company_id, account) ON DELETE CASCADE,
    CONSTRAINT customer_bank_account_company_id_length CHECK (char_length(company_id) <= 20),
    CONSTRAINT customer_bank_account_customer_account_length CHECK (char_length(customer_account) <= 64),
    CONSTRAINT customer_bank_account_iban_format CHECK (iban_format_valid(iban)),
    CONSTRAINT customer_bank_account_iban_check_digits CHECK (iban_check_digits_valid(iban)),
    CONSTRAINT customer_bank_account_bic_format CHECK (bic_format_valid(bic))
);

COMMENT ON TABLE customer_bank_account IS
    'One bank account per customer; a one-time vendor created for the customer takes a copy (vendor_bank_account).';

CREATE TABLE vendor_bank_account (
    company_id      text NOT NULL,
    vendor_account  text NOT NULL,
    iban            text NOT NULL,
    bic             text,
    CONSTRAINT vendor_bank_account_pkey PRIMARY KEY (company_id, vendor_account),
    CONSTRAINT vendor_bank_account_vendor_fk FOREIGN KEY (company_id, vendor_account)
        REFERENCES vendor (company_id, account) ON DELETE CASCADE,
    CONSTRAINT vendor_bank_account_company_id_length CHECK (char_length(company_id) <= 20),
    CONSTRAINT vendor_bank_account_vendor_account_length CHECK (char_length(vendor_account) <= 64),
    CONSTRAINT vendor_bank_account_iban_format CHECK (iban_format_valid(iban)),
    CONSTRAINT vendor_bank_account_iban_check_digits CHECK (iban_check_digits_valid(iban)),
    CONSTRAINT vendor_bank_account_bic_format CHECK (bic_format_valid(bic))
);

COMMENT ON TABLE vendor_bank_account IS
    'One bank account per vendor: the creditor of its payments. Written by users; the daemon writes it only for a one-time vendor it creates (a copy of the customer''s account).';

-- ---- payment_voucher: a sequence for every company ---------------------------------------------
ALTER TABLE number_sequence
    DROP CONSTRAINT number_sequence_name_valid,
    ADD CONSTRAINT number_sequence_name_valid
        CHECK (name IN ('reimbursement_voucher', 'vendor_invoice', 'one_time_vendor', 'payment_voucher'));

COMMENT ON COLUMN number_sequence.name IS 'reimbursement_voucher, vendor_invoice, one_time_vendor or payment_voucher.';

CREATE OR REPLACE FUNCTION company_create_number_sequences() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO number_sequence (company_id, name, prefix, next_value, width)
    SELECT c.id, s.name, s.prefix, 1, 8
      FROM new_companies c
     CROSS JOIN (VALUES ('reimbursement_voucher', 'RV-'),
                        ('vendor_invoice',        'VI-'),
                        ('one_time_vendor',       'OTV-'),
                        ('payment_voucher',       'PV-')) AS s(name, prefix)
    ON CONFLICT (company_id, name) DO NOTHING;
    RETURN NULL;
END
$$;

-- CREATE OR REPLACE drops the pinned search_path: pin it again.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION company_create_number_sequences() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

INSERT INTO number_sequence (company_id, name, prefix, next_value, width)
SELECT c.id, 'payment_voucher', 'PV-', 1, 8 FROM company c
ON CONFLICT (company_id, name) DO NOTHING;

-- ---- access ----------------------------------------------------------------------------------
GRANT SELECT ON customer_bank_account TO reimburse_service;
GRANT SELECT, INSERT ON vendor_bank_account TO reimburse_service;
GRANT SELECT ON customer_bank_account, vendor_bank_account TO reimburse_enqueue, reimburse_reporting;

ALTER TABLE customer_bank_account ENABLE ROW LEVEL SECURITY;
ALTER TABLE vendor_bank_account ENABLE ROW LEVEL SECURITY;

CREATE POLICY customer_bank_account_service ON customer_bank_account
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY vendor_bank_account_service ON vendor_bank_account
    FOR ALL TO reimburse_service USING (true) WITH CHECK (true);
CREATE POLICY customer_bank_account_reader ON customer_bank_account
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
CREATE POLICY vendor_bank_account_reader ON vendor_bank_account
    FOR SELECT TO reimburse_enqueue, reimburse_reporting
    USING (company_id IN (SELECT a.company_id FROM company_access a));
