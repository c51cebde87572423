-- 0004: views for readers (PRODUCT.md section 4).
--
-- Column lists are public: the contract's columns come first, in the contract's order; extra
-- columns may only be appended at the end. security_invoker = true makes the caller's
-- row-level security apply to the tables underneath (a plain view would read them with its
-- owner's rights and show every company).

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
       -- extras (not in the contract)
       r.one_time_vendor_created,
       r.vendor_invoice_id,
       vi.due_date
  FROM reimbursement r
  LEFT JOIN customer c        ON c.company_id = r.company_id AND c.account = r.customer_account
  LEFT JOIN vendor v          ON v.company_id = r.company_id AND v.account = r.vendor_account
  LEFT JOIN vendor_invoice vi ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id;

COMMENT ON VIEW reimbursement_report IS 'One row per reimbursement with customer, vendor and vendor invoice; status open / partially_paid / paid from the invoice''s settled_amount.';

-- Open credits: amount < 0 and not fully settled. Balances are positive numbers.
CREATE VIEW customer_credit_balance WITH (security_invoker = true) AS
SELECT t.company_id,
       t.customer_account,
       t.currency,
       -sum(t.amount - t.settled_amount)                                 AS credit_balance,
       -sum(t.amount_accounting - t.settled_amount_accounting)           AS credit_balance_accounting,
       -sum(t.amount_accounting - t.settled_amount_accounting)
           >= co.minimum_reimbursement                                    AS reaches_minimum,
       -- extras (not in the contract)
       count(*)                                                          AS open_credits,
       co.minimum_reimbursement
  FROM customer_transaction t
  JOIN company co ON co.id = t.company_id
 WHERE t.amount < 0
   AND t.amount <> t.settled_amount
 GROUP BY t.company_id, t.customer_account, t.currency, co.minimum_reimbursement;

COMMENT ON VIEW customer_credit_balance IS 'Per company, customer and currency with open credits: positive credit balance in currency and accounting currency; reaches_minimum against company.minimum_reimbursement now.';

-- reimbursements and skipped come from the job's result (maintained per chunk by the daemon),
-- 0 while there is no result yet. skipped = selected customers skipped, all reasons together.
CREATE VIEW job_overview WITH (security_invoker = true) AS
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
       j.approves_job_id
  FROM reimbursement_job j;

COMMENT ON VIEW job_overview IS 'One row per job: state, progress, reimbursements posted and customers skipped (from result), last_error.';
