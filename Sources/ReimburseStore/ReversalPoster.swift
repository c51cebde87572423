import Postgres
import ReimburseEngine

/// Writes the plans of a reverse chunk inside the chunk's transaction (PRODUCT.md §8): in a
/// preview the proposals and skips; otherwise, per reversal, the `reimbursement_reversal`
/// row, the closing customer transactions, the mirrored voucher, the reopened transactions and
/// the cancelled invoice, and the skips. Rows are written set-wise (`unnest` of arrays): one
/// statement per table per chunk.
struct ReversalPoster {
    let connection: PostgresConnection
    let job: StoredJob
    let request: ReversalRequest
    let postingDate: LocalDate

    static let skipsSQL = """
        INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason, credit_balance,
                                        credit_balance_accounting, detail, reimbursement_id)
        SELECT $1, $2, s.customer_account, s.currency, s.reason, s.amount, s.amount_accounting, s.detail, s.reimbursement_id
          FROM unnest($3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[], $9::bigint[])
               AS s(customer_account, currency, reason, amount, amount_accounting, detail, reimbursement_id)
        """

    static let proposalsSQL = """
        INSERT INTO reimbursement_reversal_proposal (job_id, company_id, reimbursement_id, customer_account, currency,
                                                     amount, amount_accounting, voucher, credit_transaction_ids)
        SELECT $1, $2, p.reimbursement_id, p.customer_account, p.currency, p.amount, p.amount_accounting, p.voucher,
               ARRAY(SELECT jsonb_array_elements_text(p.credits)::bigint)
          FROM unnest($3::bigint[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[], $9::jsonb[])
               AS p(reimbursement_id, customer_account, currency, amount, amount_accounting, voucher, credits)
        """

    static let reversalsSQL = """
        INSERT INTO reimbursement_reversal (company_id, id, reimbursement_id, job_id, voucher, posting_date, reason,
                                            requested_by)
        SELECT $1, v.id, v.reimbursement_id, $2, v.voucher, $3, $4, $5
          FROM unnest($6::bigint[], $7::bigint[], $8::text[]) AS v(id, reimbursement_id, voucher)
        """

    static let closingsSQL = """
        INSERT INTO customer_transaction (company_id, customer_account, voucher, transaction_date, kind, currency,
                                          amount, amount_accounting, settled_amount, settled_amount_accounting,
                                          ledger_account)
        SELECT $1, c.customer_account, c.voucher, $2, 'reimbursement_reversal', c.currency, c.amount,
               c.amount_accounting, c.amount, c.amount_accounting, c.ledger_account
          FROM unnest($3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[])
               AS c(customer_account, voucher, currency, amount, amount_accounting, ledger_account)
        """

    static let ledgerSQL = """
        INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                  amount_accounting, reimbursement_id, reversal_id)
        SELECT $1, l.voucher, l.line, $2, l.account, l.posting_type, l.currency, l.amount, l.amount_accounting,
               l.reimbursement_id, l.reversal_id
          FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::numeric[],
                      $10::bigint[], $11::bigint[])
               AS l(voucher, line, account, posting_type, currency, amount, amount_accounting, reimbursement_id,
                    reversal_id)
        """

    /// Reopens each transaction by exactly what the reversed settlements took, summed per
    /// transaction first: one credit may be carried by two reimbursements of the chunk, and
    /// `UPDATE ... FROM` applies one joined row per target row. The count of distinct
    /// transactions proves every one was changed.
    static let reopenSQL = """
        UPDATE customer_transaction t
           SET settled_amount = t.settled_amount + r.change,
               settled_amount_accounting = t.settled_amount_accounting + r.change_accounting
          FROM (SELECT u.id, sum(u.change) AS change, sum(u.change_accounting) AS change_accounting
                  FROM unnest($2::bigint[], $3::numeric[], $4::numeric[]) AS u(id, change, change_accounting)
                 GROUP BY u.id) r
         WHERE t.company_id = $1 AND t.id = r.id
        """

    /// Cancels each invoice: nothing left to pay, and it names its reversal. Only open,
    /// uncancelled invoices change; the count proves all of them were.
    static let cancelInvoicesSQL = """
        UPDATE vendor_invoice i
           SET settled_amount = i.amount, reversal_id = c.reversal_id
          FROM unnest($2::bigint[], $3::bigint[]) AS c(id, reversal_id)
         WHERE i.company_id = $1 AND i.id = c.id AND i.settled_amount = 0 AND i.reversal_id IS NULL
        """

    func post(_ plans: [ReversalPlan]) throws {
        var skips: [PlannedReversalSkip] = []
        var reversals: [PlannedReversal] = []
        for plan in plans {
            switch plan {
            case .skip(let skip): skips.append(skip)
            case .reverse(let reversal): reversals.append(reversal)
            }
        }
        if job.engineMode == .preview {
            try writeProposals(reversals)
        } else {
            try writeReversals(reversals)
        }
        try writeSkips(skips)
    }

    private func writeSkips(_ skips: [PlannedReversalSkip]) throws {
        guard !skips.isEmpty else { return }
        try connection.execute(
            Self.skipsSQL, job.id, job.companyID, skips.map(\.customerAccount), skips.map(\.currency),
            skips.map(\.reason.rawValue), skips.map(\.amount), skips.map(\.amountAccounting), skips.map(\.detail),
            skips.map(\.reimbursementID))
    }

    private func writeProposals(_ reversals: [PlannedReversal]) throws {
        guard !reversals.isEmpty else { return }
        try connection.execute(
            Self.proposalsSQL, job.id, job.companyID, reversals.map(\.reimbursementID),
            reversals.map(\.customerAccount), reversals.map(\.currency), reversals.map(\.amount),
            reversals.map(\.amountAccounting), reversals.map(\.originalVoucher),
            reversals.map { "[" + $0.creditTransactionIds.map(String.init).joined(separator: ",") + "]" })
    }

    private func writeReversals(_ reversals: [PlannedReversal]) throws {
        guard !reversals.isEmpty else { return }
        var numbers = try NumberSequences.lock(companyID: job.companyID, on: connection)
        let ids = try connection.queryValue([Int64].self, """
            SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('reimbursement_reversal', 'id')::regclass))), '{}')
              FROM generate_series(1, $1)
            """, reversals.count) ?? []
        var vouchers: [String] = []
        var closing = (customers: [Code](), vouchers: [String](), currencies: [Code](), amounts: [Money](),
                       accounting: [Money](), accounts: [Code]())
        var lines = (vouchers: [String](), numbers: [Int](), accounts: [Code](), types: [String](),
                     currencies: [Code](), amounts: [Money](), accounting: [Money](), reimbursements: [Int64](),
                     reversals: [Int64]())
        var reopen = (ids: [Int64](), changes: [Money](), accounting: [Money]())
        for (index, reversal) in reversals.enumerated() {
            let voucher = try numbers.next("reimbursement_voucher")
            vouchers.append(voucher)
            for item in reversal.closings {
                closing.customers.append(reversal.customerAccount)
                closing.vouchers.append(voucher)
                closing.currencies.append(reversal.currency)
                closing.amounts.append(item.amount)
                closing.accounting.append(item.amountAccounting)
                closing.accounts.append(item.ledgerAccount)
            }
            for (number, line) in reversal.voucherLines.enumerated() {
                lines.vouchers.append(voucher)
                lines.numbers.append(number + 1)
                lines.accounts.append(line.account)
                lines.types.append(line.postingType)
                lines.currencies.append(reversal.currency)
                lines.amounts.append(line.amount)
                lines.accounting.append(line.amountAccounting)
                lines.reimbursements.append(reversal.reimbursementID)
                lines.reversals.append(ids[index])
            }
            for item in reversal.reopenings {
                reopen.ids.append(item.transactionID)
                reopen.changes.append(item.settledChange)
                reopen.accounting.append(item.settledChangeAccounting)
            }
        }
        // Order follows the foreign keys: the reversal row before the lines that name it.
        try connection.execute(
            Self.reversalsSQL, job.companyID, job.id, postingDate, request.reason, request.requestedBy, ids,
            reversals.map(\.reimbursementID), vouchers)
        try connection.execute(
            Self.closingsSQL, job.companyID, postingDate, closing.customers, closing.vouchers, closing.currencies,
            closing.amounts, closing.accounting, closing.accounts)
        try connection.execute(
            Self.ledgerSQL, job.companyID, postingDate, lines.vouchers, lines.numbers, lines.accounts, lines.types,
            lines.currencies, lines.amounts, lines.accounting, lines.reimbursements, lines.reversals)
        let reopened = try connection.execute(Self.reopenSQL, job.companyID, reopen.ids, reopen.changes, reopen.accounting)
        let cancelled = try connection.execute(
            Self.cancelInvoicesSQL, job.companyID, reversals.map(\.invoiceID), ids)
        guard reopened.affectedRows == Set(reopen.ids).count, cancelled.affectedRows == reversals.count else {
            throw JobFailure(
                "job \(job.id): a settled transaction or a vendor invoice changed while the chunk held its lock; "
                    + "nothing of the chunk was posted")
        }
        try numbers.save(on: connection)
    }
}
