import Postgres
import PaymentDocument
import ReimburseEngine

/// What a pay job needs of its row and its company before it pays anything (PRODUCT.md
/// section 9): its selection, the company's paying account, bank ledger account and payment
/// format, and the `payment_voucher` sequence. A missing setting fails the job before its first
/// chunk, naming the company and the column.
struct PaymentRunSettings {
    var paysJobIDs: [Int64]?
    var companyName: String
    var debtorIBAN: String
    var debtorBIC: String?
    var bankLedgerAccount: Code
    var format: PainFormat
    var timeZone: String

    static let sql = """
        SELECT j.pays_job_ids, coalesce(c.name, c.id), c.bank_account_iban, c.bank_account_bic, c.bank_ledger_account,
               c.payment_format, c.time_zone,
               EXISTS (SELECT 1 FROM number_sequence s WHERE s.company_id = c.id AND s.name = 'payment_voucher'),
               p.cancel_requested
          FROM reimbursement_job j
          JOIN company c ON c.id = j.company_id
          LEFT JOIN reimbursement_job p ON p.company_id = j.company_id AND p.id = j.approves_job_id
         WHERE j.company_id = $1 AND j.id = $2
        """

    static func load(job: StoredJob, on connection: PostgresConnection) throws -> PaymentRunSettings {
        let rows = try connection.query(sql, job.companyID, job.id) { row in
            (try row.decode([Int64]?.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String?.self, at: 2),
             try row.decode(String?.self, at: 3), try row.decode(String?.self, at: 4), try row.decode(String.self, at: 5),
             try row.decode(String.self, at: 6), try row.decode(Bool.self, at: 7), try row.decode(Bool?.self, at: 8))
        }
        guard let row = rows.first else { throw JobFailure("job \(job.id) no longer exists") }
        let company = job.companyID
        guard let iban = row.2 else {
            throw JobFailure(
                "company \(company) has no paying bank account: set company.bank_account_iban (and bank_account_bic) "
                    + "before a pay job")
        }
        guard let ledger = row.4 else {
            throw JobFailure("company \(company) has no bank_ledger_account: set it before a pay job")
        }
        guard let format = PainFormat(rawValue: row.5) else {
            throw JobFailure("company \(company): payment_format \(row.5) is not one this version writes")
        }
        guard row.7 else { throw JobFailure.missingSequence(companyID: company, name: "payment_voucher") }
        if let approved = job.approvesJobID, row.8 == true {
            throw JobFailure(
                "job \(job.id) approves pay preview \(approved), which was released (cancel_requested): "
                    + "preview the payment run again")
        }
        return PaymentRunSettings(
            paysJobIDs: row.0, companyName: row.1, debtorIBAN: iban, debtorBIC: row.3, bankLedgerAccount: Code(ledger),
            format: format, timeZone: row.6)
    }
}
