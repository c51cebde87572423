import Postgres
import PaymentDocument
import ReimburseEngine

/// Writes a pay job's documents once its last chunk is done (PRODUCT.md section 9), in that
/// chunk's transaction: one `payment_file` per currency of the job's `vendor_payment` rows (its
/// preview rows in a preview), each an ISO 20022 pain.001 document in the company's format,
/// and every payment pointed at its file. Returns how many files it wrote.
struct PaymentFileWriter {
    let connection: PostgresConnection
    let job: StoredJob
    let settings: PaymentRunSettings

    /// `$1` company, `$2` job, `$3` preview, `$4` the company's time zone.
    static let paymentsSQL = """
        SELECT p.id, p.currency, p.end_to_end_id, p.amount, p.execution_date, p.creditor_iban, p.creditor_bic,
               coalesce(v.name, p.vendor_account), r.voucher, r.customer_account, coalesce(c.name, '')
          FROM vendor_payment p
          JOIN vendor_invoice i ON i.company_id = p.company_id AND i.id = p.vendor_invoice_id
          JOIN reimbursement r ON r.company_id = i.company_id AND r.id = i.reimbursement_id
          LEFT JOIN vendor v ON v.company_id = p.company_id AND v.account = p.vendor_account
          LEFT JOIN customer c ON c.company_id = r.company_id AND c.account = r.customer_account
         WHERE p.company_id = $1 AND p.job_id = $2 AND p.preview = $3 AND p.payment_file_id IS NULL
         ORDER BY p.currency, p.id
        """

    static let insertSQL = """
        INSERT INTO payment_file (company_id, job_id, preview, message_id, format, currency, transactions,
                                  control_sum, document, sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING id
        """

    static let linkSQL = """
        UPDATE vendor_payment SET payment_file_id = $3 WHERE company_id = $1 AND id = ANY ($2::bigint[])
        """

    func write() throws -> Int {
        let preview = job.engineMode == .preview
        struct Row {
            var id: Int64
            var currency: String
            var transfer: CreditTransfer
        }
        let rows = try connection.query(Self.paymentsSQL, job.companyID, job.id, preview) { row in
            let voucher: String = try row.decode(at: 8)
            let customer: String = try row.decode(at: 9)
            let customerName: String = try row.decode(at: 10)
            return Row(
                id: try row.decode(at: 0), currency: try row.decode(at: 1),
                transfer: CreditTransfer(
                    endToEndID: try row.decode(at: 2), amount: try row.decode(at: 3),
                    creditor: PaymentParty(
                        name: try row.decode(at: 7), iban: try row.decode(at: 5), bic: try row.decode(String?.self, at: 6)),
                    remittance: "Reimbursement \(voucher) customer \(customer)" + (customerName.isEmpty ? "" : " \(customerName)"),
                    executionDate: try row.decode(at: 4)))
        }
        guard !rows.isEmpty else { return 0 }
        let createdAt = try connection.queryValue(
            String.self, "SELECT to_char(now() AT TIME ZONE $1, 'YYYY-MM-DD\"T\"HH24:MI:SS')", settings.timeZone) ?? ""
        let debtor = PaymentParty(name: settings.companyName, iban: settings.debtorIBAN, bic: settings.debtorBIC)
        var written = 0
        for currency in Set(rows.map(\.currency)).sorted() {
            let mine = rows.filter { $0.currency == currency }
            let message = PaymentMessage(
                messageID: "R\(job.id)\(preview ? "P" : "")-\(currency)-\(job.companyID)", createdAt: createdAt,
                format: settings.format, currency: currency, debtor: debtor, transfers: mine.map(\.transfer))
            let document: PaymentDocument
            do {
                document = try Pain001Writer.write(message)
            } catch {
                throw JobFailure("job \(job.id): the \(currency) payment document cannot be written: \(error)")
            }
            let fileID = try connection.queryValue(
                Int64.self, Self.insertSQL, job.companyID, job.id, preview, document.messageID, settings.format.rawValue,
                currency, document.transactions, document.controlSum, document.text, document.sha256)
            try connection.execute(Self.linkSQL, job.companyID, mine.map(\.id), fileID)
            written += 1
        }
        return written
    }
}
