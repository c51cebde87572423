import Postgres
import PaymentDocument
import ReimburseEngine

/// Writes the plans of a pay chunk inside the chunk's transaction (PRODUCT.md section 9): in a
/// preview the `vendor_payment` rows marked preview (no voucher, nothing settled); otherwise
/// per payment the `vendor_payment` row, its balanced voucher from `payment_voucher`, and the
/// invoice settled in full; and the skips. Set-wise: one statement per table per chunk.
struct PaymentPoster {
    let connection: PostgresConnection
    let job: StoredJob
    let executionDate: LocalDate

    static let skipsSQL = """
        INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason, credit_balance,
                                        credit_balance_accounting, detail, reimbursement_id, vendor_invoice_id)
        SELECT $1, $2, s.customer_account, s.currency, s.reason, s.amount, s.amount_accounting, s.detail,
               s.reimbursement_id, s.vendor_invoice_id
          FROM unnest($3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[], $9::bigint[],
                      $10::bigint[])
               AS s(customer_account, currency, reason, amount, amount_accounting, detail, reimbursement_id,
                    vendor_invoice_id)
        """

    static let paymentsSQL = """
        INSERT INTO vendor_payment (company_id, id, job_id, vendor_invoice_id, preview, end_to_end_id, vendor_account,
                                    currency, amount, amount_accounting, voucher, execution_date, creditor_iban,
                                    creditor_bic)
        SELECT $1, p.id, $2, p.invoice, $3, p.end_to_end_id, p.vendor_account, p.currency, p.amount,
               p.amount_accounting, p.voucher, $4, p.iban, p.bic
          FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::numeric[], $11::numeric[],
                      $12::text[], $13::text[], $14::text[])
               AS p(id, invoice, end_to_end_id, vendor_account, currency, amount, amount_accounting, voucher, iban, bic)
        """

    static let ledgerSQL = """
        INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                  amount_accounting, reimbursement_id, vendor_payment_id)
        SELECT $1, l.voucher, l.line, $2, l.account, l.posting_type, l.currency, l.amount, l.amount_accounting,
               l.reimbursement_id, l.payment_id
          FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::numeric[],
                      $10::bigint[], $11::bigint[])
               AS l(voucher, line, account, posting_type, currency, amount, amount_accounting, reimbursement_id,
                    payment_id)
        """

    /// Settles each invoice in full; only unpaid, uncancelled invoices change, and the count
    /// proves all of them did.
    static let settleSQL = """
        UPDATE vendor_invoice SET settled_amount = amount
         WHERE company_id = $1 AND id = ANY ($2::bigint[]) AND settled_amount = 0 AND reversal_id IS NULL
        """

    func post(_ plans: [PaymentPlan]) throws {
        var skips: [PlannedPaymentSkip] = []
        var payments: [PlannedPayment] = []
        for plan in plans {
            switch plan {
            case .skip(let skip): skips.append(skip)
            case .pay(let payment): payments.append(payment)
            }
        }
        try writePayments(payments, preview: job.engineMode == .preview)
        try writeSkips(skips)
    }

    private func writeSkips(_ skips: [PlannedPaymentSkip]) throws {
        guard !skips.isEmpty else { return }
        try connection.execute(
            Self.skipsSQL, job.id, job.companyID, skips.map(\.invoice.customerAccount), skips.map(\.invoice.currency),
            skips.map(\.reason.rawValue), skips.map(\.invoice.amount), skips.map(\.invoice.amountAccounting),
            skips.map(\.detail), skips.map(\.invoice.reimbursementID), skips.map(\.invoice.id))
    }

    private func writePayments(_ payments: [PlannedPayment], preview: Bool) throws {
        guard !payments.isEmpty else { return }
        let ids = try connection.queryValue([Int64].self, """
            SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('vendor_payment', 'id')::regclass))), '{}')
              FROM generate_series(1, $1)
            """, payments.count) ?? []
        var numbers = preview ? nil : try NumberSequences.lock(companyID: job.companyID, on: connection)
        var vouchers: [String?] = []
        var endToEnd: [String] = []
        var lines = (vouchers: [String](), numbers: [Int](), accounts: [Code](), types: [String](),
                     currencies: [Code](), amounts: [Money](), accounting: [Money](), reimbursements: [Int64](),
                     payments: [Int64]())
        for (index, payment) in payments.enumerated() {
            let invoice = payment.invoice
            guard let voucher = try numbers?.next("payment_voucher") else {
                vouchers.append(nil)
                endToEnd.append("J\(job.id)-I\(invoice.id)")
                continue
            }
            vouchers.append(voucher)
            let id = SEPAText.identifier(voucher)
            endToEnd.append(id == voucher ? voucher : "J\(job.id)-I\(invoice.id)")
            for (number, line) in payment.lines.enumerated() {
                lines.vouchers.append(voucher)
                lines.numbers.append(number + 1)
                lines.accounts.append(line.account)
                lines.types.append(line.postingType)
                lines.currencies.append(invoice.currency)
                lines.amounts.append(line.amount)
                lines.accounting.append(line.amountAccounting)
                lines.reimbursements.append(invoice.reimbursementID)
                lines.payments.append(ids[index])
            }
        }
        try connection.execute(
            Self.paymentsSQL, job.companyID, job.id, preview, executionDate, ids, payments.map(\.invoice.id), endToEnd,
            payments.map(\.invoice.vendorAccount), payments.map(\.invoice.currency), payments.map(\.invoice.amount),
            payments.map(\.invoice.amountAccounting), vouchers, payments.map(\.creditorIBAN),
            payments.map(\.creditorBIC))
        guard let numbers else { return }
        try connection.execute(
            Self.ledgerSQL, job.companyID, executionDate, lines.vouchers, lines.numbers, lines.accounts, lines.types,
            lines.currencies, lines.amounts, lines.accounting, lines.reimbursements, lines.payments)
        let settled = try connection.execute(Self.settleSQL, job.companyID, payments.map(\.invoice.id))
        guard settled.affectedRows == payments.count else {
            throw JobFailure(
                "job \(job.id): \(payments.count - settled.affectedRows) vendor invoice(s) changed while the chunk held "
                    + "their lock; nothing of the chunk was paid")
        }
        try numbers.save(on: connection)
    }
}
