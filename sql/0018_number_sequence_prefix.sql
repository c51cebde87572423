-- 0018: a number sequence's prefix must make numbers the tables accept. A prefix that begins
-- with white space (' OTV-') passed number_sequence_prefix_length, and every one-time vendor
-- created from it was then refused by vendor_account_format: a company setting discovered as
-- a refusal in the middle of a job. Refused when written instead, by name. Applied to every
-- sequence: no number of Reimburse's (voucher, invoice, vendor account) begins with a space.
ALTER TABLE number_sequence
    ADD CONSTRAINT number_sequence_prefix_no_leading_space CHECK (prefix !~ '^\s') NOT VALID;

DO $$
DECLARE
    broken bigint;
BEGIN
    SELECT count(*) INTO broken FROM number_sequence WHERE prefix ~ '^\s';
    IF broken > 0 THEN
        RAISE EXCEPTION 'existing rows hold values the rules cannot use: number_sequence_prefix_no_leading_space (% row(s) of number_sequence)', broken
            USING ERRCODE = 'check_violation',
                  HINT = 'Correct those prefixes (SELECT company_id, name, prefix FROM number_sequence WHERE prefix ~ ''^\s''), '
                         'then run reimburse migrate again; nothing of this migration was applied.';
    END IF;
    ALTER TABLE number_sequence VALIDATE CONSTRAINT number_sequence_prefix_no_leading_space;
END
$$;
