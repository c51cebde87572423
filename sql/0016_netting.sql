-- 0016: netting, debit_handling = 'net' (PRODUCT.md section 7).
--
-- A net job first settles a customer's open credits against its open debits of the same
-- currency (oldest first) and reimburses only the remainder. The netting is posted in the
-- remainder's reimbursement: its customer_settlement rows (kind 'netting') carry that
-- reimbursement's id, and its voucher lines (customer_netting, exchange_difference) are lines
-- of that reimbursement's voucher. Everything a reversal must undo is on those rows: each
-- netting row names both transactions, the amount settled on both sides (amount), and each
-- side's accounting amount (amount_accounting for the credit, debit_amount_accounting for the
-- debit).

-- ---- jobs ----------------------------------------------------------------------------------
ALTER TABLE reimbursement_job
    DROP CONSTRAINT reimbursement_job_debit_handling_valid,
    ADD CONSTRAINT reimbursement_job_debit_handling_valid CHECK (debit_handling IN ('skip', 'include', 'net'));

COMMENT ON COLUMN reimbursement_job.debit_handling IS 'skip (default): customers with open debits are skipped; include: debits left alone, credits reimbursed; net: credits first settled against open debits of the same currency, the remainder reimbursed (PRODUCT.md section 7).';

-- ---- company -------------------------------------------------------------------------------
ALTER TABLE company
    ADD COLUMN exchange_difference_account text,
    ADD CONSTRAINT company_exchange_difference_account_format
        CHECK (exchange_difference_account IS NULL
               OR (btrim(exchange_difference_account) <> '' AND char_length(exchange_difference_account) <= 64));

COMMENT ON COLUMN company.exchange_difference_account IS 'Ledger account of the exchange differences of netting (a gain as a credit); a net job of a company without it fails at start.';

-- ---- customer_settlement -------------------------------------------------------------------
ALTER TABLE customer_settlement
    ADD COLUMN kind text NOT NULL DEFAULT 'reimbursement',
    ADD COLUMN debit_amount_accounting numeric(24,6),
    ADD CONSTRAINT customer_settlement_kind_valid CHECK (kind IN ('reimbursement', 'netting')),
    -- The debit side's accounting amount belongs to netting rows, and every netting row has it.
    ADD CONSTRAINT customer_settlement_debit_accounting_for_netting CHECK (
        CASE kind WHEN 'netting' THEN debit_amount_accounting IS NOT NULL
                  ELSE debit_amount_accounting IS NULL END),
    ADD CONSTRAINT customer_settlement_debit_accounting_nonnegative CHECK (
        debit_amount_accounting IS NULL OR debit_amount_accounting >= 0);

COMMENT ON TABLE customer_settlement IS 'One row per credit settled by a reimbursement (kind reimbursement: against the reimbursement debit of its ledger account) or per (credit, debit) piece of netting (kind netting: against the customer''s own debit). Amounts positive.';
COMMENT ON COLUMN customer_settlement.kind IS 'reimbursement, or netting (PRODUCT.md section 7): debit_transaction_id is then an open debit of the customer, settled by the same amount as the credit.';
COMMENT ON COLUMN customer_settlement.amount_accounting IS 'Accounting amount settled on the credit side.';
COMMENT ON COLUMN customer_settlement.debit_amount_accounting IS 'Netting rows only: accounting amount settled on the debit side (may differ from amount_accounting: the difference is in the voucher''s exchange_difference lines).';

-- ---- ledger_entry --------------------------------------------------------------------------
ALTER TABLE ledger_entry
    DROP CONSTRAINT ledger_entry_posting_type_valid,
    ADD CONSTRAINT ledger_entry_posting_type_valid CHECK (posting_type IN
        ('customer_reimbursement', 'vendor_balance', 'customer_netting', 'exchange_difference')),
    -- Only an exchange difference has amount 0: it exists for its accounting amount.
    DROP CONSTRAINT ledger_entry_amount_nonzero,
    ADD CONSTRAINT ledger_entry_amount_nonzero CHECK (amount <> 0 OR posting_type = 'exchange_difference'),
    DROP CONSTRAINT ledger_entry_accounting_same_sign,
    ADD CONSTRAINT ledger_entry_accounting_same_sign
        CHECK (posting_type = 'exchange_difference' OR amount_accounting = 0 OR sign(amount_accounting) = sign(amount)),
    -- customer_netting lines go either way (a cleared credit is a debit, a cleared debit a
    -- credit); an exchange difference is amount 0 with a non-zero accounting amount.
    DROP CONSTRAINT ledger_entry_posting_type_side,
    ADD CONSTRAINT ledger_entry_posting_type_side CHECK (
        CASE posting_type
            -- A reversal's lines (reversal_id set, 0015) mirror the original's: the other side.
            WHEN 'customer_reimbursement' THEN (amount > 0) = (reversal_id IS NULL)
            WHEN 'vendor_balance'         THEN (amount < 0) = (reversal_id IS NULL)
            WHEN 'exchange_difference'    THEN amount = 0 AND amount_accounting <> 0
            ELSE true
        END);

COMMENT ON COLUMN ledger_entry.posting_type IS 'customer_reimbursement (debit, one per ledger account of the reimbursed credits), vendor_balance (credit to company.vendor_summary_account), customer_netting (transfer between receivable accounts when a netted credit and debit sit on different ledger accounts), exchange_difference (amount 0: the difference between the two sides'' accounting amounts of netting; on company.exchange_difference_account a gain is a credit).';

-- ---- reimbursement_proposal ----------------------------------------------------------------
-- The netting of a proposal, and every open debit of its currency as the preview saw them:
-- an approval posts it only if they are unchanged (PRODUCT.md section 7).
ALTER TABLE reimbursement_proposal
    ADD COLUMN netted_amount numeric(24,6) NOT NULL DEFAULT 0,
    ADD COLUMN netted_amount_accounting numeric(24,6) NOT NULL DEFAULT 0,
    ADD COLUMN netted_debit_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN open_debit_ids bigint[],
    ADD COLUMN open_debit_amount numeric(24,6),
    ADD COLUMN open_debit_amount_accounting numeric(24,6),
    ADD CONSTRAINT reimbursement_proposal_netted_nonnegative CHECK (netted_amount >= 0 AND netted_amount_accounting >= 0),
    ADD CONSTRAINT reimbursement_proposal_open_debits_whole CHECK (
        (open_debit_ids IS NULL) = (open_debit_amount IS NULL)
        AND (open_debit_ids IS NULL) = (open_debit_amount_accounting IS NULL));

COMMENT ON COLUMN reimbursement_proposal.netted_amount IS 'Net jobs: the credits settled against debits before the remainder (amount) is reimbursed; 0 otherwise.';
COMMENT ON COLUMN reimbursement_proposal.netted_amount_accounting IS 'Net jobs: netted_amount in accounting currency, credit side.';
COMMENT ON COLUMN reimbursement_proposal.netted_debit_ids IS 'Net jobs: the debits netted, ascending; empty otherwise.';
COMMENT ON COLUMN reimbursement_proposal.open_debit_ids IS 'Net jobs: every open debit of the customer in the currency when previewed (an approval re-checks them); NULL otherwise.';
COMMENT ON COLUMN reimbursement_proposal.open_debit_amount IS 'Net jobs: the open amount of open_debit_ids in all, positive.';
COMMENT ON COLUMN reimbursement_proposal.open_debit_amount_accounting IS 'Net jobs: open_debit_amount in accounting currency.';

-- ---- reimbursement_report ------------------------------------------------------------------
-- Two columns appended: what each reimbursement netted before it reimbursed its amount. The
-- view is extended from its current definition (whatever earlier migrations appended), so that
-- columns added by other migrations stay in place.
DO $$
DECLARE
    current_definition text := rtrim(btrim(pg_get_viewdef('reimbursement_report'::regclass)), ';');
BEGIN
    EXECUTE format($view$
        CREATE OR REPLACE VIEW reimbursement_report WITH (security_invoker = true) AS
        SELECT base.*,
               coalesce(netted.amount, 0)            AS netted_amount,
               coalesce(netted.amount_accounting, 0) AS netted_amount_accounting
          FROM (%s) base
          LEFT JOIN LATERAL (
                SELECT sum(s.amount) AS amount, sum(s.amount_accounting) AS amount_accounting
                  FROM customer_settlement s
                 WHERE s.company_id = base.company_id AND s.reimbursement_id = base.reimbursement_id
                   AND s.kind = 'netting') netted ON true
        $view$, current_definition);
END
$$;

COMMENT ON COLUMN reimbursement_report.netted_amount IS 'Credits settled against the customer''s debits by this reimbursement (debit_handling net) before amount was reimbursed; 0 otherwise.';
COMMENT ON COLUMN reimbursement_report.netted_amount_accounting IS 'netted_amount in accounting currency (credit side).';
