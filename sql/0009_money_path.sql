-- 0009: the money path against real data (issue 11; PRODUCT.md section 1, Precisions).
--
-- 1. reimbursement_skip.detail and the reason invalid_data: one customer's bad data never stops
--    the others; it is skipped with a NULL-currency row whose detail names the transactions and
--    the problem. changed_since_preview rows say in detail what changed (credits or payee).
-- 2. Zero accounting residues: what is open is decided in transaction currency; the accounting
--    amount that goes with it may be zero (a residue after a revaluation or a rounding) and is
--    posted as zero. The checks that demanded accounting amount > 0 (or the same sign as the
--    amount, which excludes 0) now allow zero where the transaction amount is not zero, and
--    still refuse the other sign. Constraint names are kept.

-- ---- 1. detail and invalid_data ---------------------------------------------------------------

ALTER TABLE reimbursement_skip ADD COLUMN detail text;

ALTER TABLE reimbursement_skip
    DROP CONSTRAINT reimbursement_skip_reason_valid,
    ADD CONSTRAINT reimbursement_skip_reason_valid CHECK (reason IN
        ('on_hold', 'pending_settlement', 'open_debits', 'below_minimum',
         'vendor_not_found', 'changed_since_preview', 'invalid_data')),
    DROP CONSTRAINT reimbursement_skip_currency_matches_reason,
    ADD CONSTRAINT reimbursement_skip_currency_matches_reason CHECK (
        CASE
            WHEN reason IN ('below_minimum', 'changed_since_preview') THEN currency IS NOT NULL
            WHEN reason IN ('on_hold', 'pending_settlement', 'open_debits', 'vendor_not_found', 'invalid_data')
                THEN currency IS NULL
            ELSE true
        END),
    -- An invalid_data row without words would leave a person guessing which row is wrong.
    ADD CONSTRAINT reimbursement_skip_invalid_data_has_detail CHECK (
        reason <> 'invalid_data' OR (detail IS NOT NULL AND btrim(detail) <> ''));

COMMENT ON TABLE reimbursement_skip IS 'Why a selected customer with open credits was not reimbursed: one row per currency for below_minimum / changed_since_preview, else one row with currency NULL (invalid_data included).';
COMMENT ON COLUMN reimbursement_skip.reason IS 'on_hold, pending_settlement, open_debits, below_minimum, vendor_not_found, changed_since_preview or invalid_data.';
COMMENT ON COLUMN reimbursement_skip.credit_balance_accounting IS 'Positive (or zero) credit balance in accounting currency; for a NULL-currency row the whole open credit of the customer, NULL when that sum does not fit numeric(24,6) or cannot be read.';
COMMENT ON COLUMN reimbursement_skip.detail IS 'In words, for a person: for invalid_data the transaction(s) and the problem, for changed_since_preview what changed (the credits or the payee); NULL when the reason says it all.';

-- ---- 2. zero accounting residues --------------------------------------------------------------

ALTER TABLE customer_transaction
    DROP CONSTRAINT customer_transaction_accounting_same_sign,
    -- Zero is allowed (a residue); the other sign never is.
    ADD CONSTRAINT customer_transaction_accounting_same_sign
        CHECK (amount_accounting = 0 OR sign(amount_accounting) = sign(amount));

COMMENT ON COLUMN customer_transaction.amount_accounting IS 'Accounting currency; same sign as amount, or 0 (a residue after a revaluation or a rounding).';

ALTER TABLE reimbursement
    DROP CONSTRAINT reimbursement_amount_accounting_positive,
    ADD CONSTRAINT reimbursement_amount_accounting_positive CHECK (amount_accounting >= 0);

ALTER TABLE vendor_invoice
    DROP CONSTRAINT vendor_invoice_amount_accounting_positive,
    ADD CONSTRAINT vendor_invoice_amount_accounting_positive CHECK (amount_accounting >= 0);

ALTER TABLE customer_settlement
    DROP CONSTRAINT customer_settlement_amount_accounting_positive,
    ADD CONSTRAINT customer_settlement_amount_accounting_positive CHECK (amount_accounting >= 0);

ALTER TABLE reimbursement_proposal
    DROP CONSTRAINT reimbursement_proposal_amount_accounting_positive,
    ADD CONSTRAINT reimbursement_proposal_amount_accounting_positive CHECK (amount_accounting >= 0);

ALTER TABLE ledger_entry
    DROP CONSTRAINT ledger_entry_accounting_same_sign,
    ADD CONSTRAINT ledger_entry_accounting_same_sign
        CHECK (amount_accounting = 0 OR sign(amount_accounting) = sign(amount));

COMMENT ON COLUMN reimbursement.amount_accounting IS 'Positive, or 0 when the settled credits were open only in transaction currency (a residue).';
COMMENT ON COLUMN vendor_invoice.amount_accounting IS 'The reimbursement''s accounting amount: positive, or 0 for a residue.';
