import Foundation
import Postgres
import ReimburseEngine

/// One row for `reimbursement_job`, with only the columns the user chose: the others keep the
/// database's defaults, so the command and a hand-written INSERT behave the same.
struct JobRequest {
    var companyID: String
    var customerAccounts: [String]?
    var customerGroups: [String]?
    var preview = false
    var approvesJobID: Int64?
    var debitHandling: DebitHandlingArgument?
    var summarize: Bool?
    var postingDate: LocalDate?
    var priority: Int16?
    var runAt: Date?
    var dedupeKey: String?
    /// A reversal (PRODUCT.md section 8): every reimbursement of this job, or these ids.
    var reversesJobID: Int64?
    var reversesReimbursementIDs: [Int64]?
    var reversalReason: String?
    /// A payment run (PRODUCT.md section 9): pay open reimbursement invoices (of these jobs).
    var pay = false
    var paysJobIDs: [Int64]?

    /// The columns and bound values, in a fixed order; column names come from this code only.
    var columns: [(name: String, value: any PostgresEncodable)] {
        var columns: [(String, any PostgresEncodable)] = [("company_id", companyID)]
        if preview { columns.append(("mode", "preview")) }
        if let customerAccounts { columns.append(("customer_accounts", customerAccounts)) }
        if let customerGroups { columns.append(("customer_groups", customerGroups)) }
        if let approvesJobID { columns.append(("approves_job_id", approvesJobID)) }
        if let debitHandling { columns.append(("debit_handling", debitHandling.rawValue)) }
        if let summarize { columns.append(("summarize", summarize)) }
        if let postingDate { columns.append(("posting_date", postingDate.description)) }
        if let priority { columns.append(("priority", priority)) }
        if let runAt { columns.append(("run_at", runAt)) }
        if let dedupeKey { columns.append(("dedupe_key", dedupeKey)) }
        if reversesJobID != nil || reversesReimbursementIDs != nil { columns.append(("operation", "reverse")) }
        if let reversesJobID { columns.append(("reverses_job_id", reversesJobID)) }
        if let reversesReimbursementIDs { columns.append(("reverses_reimbursement_ids", reversesReimbursementIDs)) }
        if let reversalReason { columns.append(("reversal_reason", reversalReason)) }
        if pay { columns.append(("operation", "pay")) }
        if let paysJobIDs { columns.append(("pays_job_ids", paysJobIDs)) }
        return columns
    }

    /// A duplicate dedupe key is the idempotent case the key exists for: the statement inserts
    /// nothing and the caller looks up the job already queued.
    var insertSQL: String {
        let names = columns.map(\.name)
        let placeholders = (1...names.count).map { "$\($0)" }
        return "INSERT INTO reimbursement_job (\(names.joined(separator: ", "))) "
            + "VALUES (\(placeholders.joined(separator: ", "))) ON CONFLICT DO NOTHING RETURNING id"
    }
}
