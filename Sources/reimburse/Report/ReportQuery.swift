import Postgres
import ReimburseEngine

/// The `reimbursement_report` view with the command's filters as bound parameters.
struct ReportQuery {
    var company: String?
    var job: Int64?
    var from: LocalDate?
    var to: LocalDate?

    /// The contract's columns, in the contract's order (PRODUCT.md section 4).
    static let columns: [ReportColumn] = [
        ReportColumn("company_id"),
        ReportColumn("reimbursement_id", .integer, inTable: false),
        ReportColumn("job_id", .integer),
        ReportColumn("posting_date"),
        ReportColumn("voucher"),
        ReportColumn("customer_account"),
        ReportColumn("customer_name"),
        ReportColumn("vendor_account"),
        ReportColumn("vendor_name"),
        ReportColumn("one_time_vendor", .boolean),
        ReportColumn("currency"),
        ReportColumn("amount", .amount),
        ReportColumn("amount_accounting", .amount),
        ReportColumn("invoice_number"),
        ReportColumn("open_amount", .amount),
        ReportColumn("status"),
    ]

    var sql: String {
        """
        SELECT \(Self.columns.map(\.name).joined(separator: ", "))
          FROM reimbursement_report
         WHERE ($1::text IS NULL OR company_id = $1)
           AND ($2::bigint IS NULL OR job_id = $2)
           AND ($3::date IS NULL OR posting_date >= $3)
           AND ($4::date IS NULL OR posting_date <= $4)
         ORDER BY company_id, posting_date, job_id, reimbursement_id
        """
    }

    var parameters: [any PostgresEncodable] {
        [company, job, from?.description, to?.description]
    }

    /// Streams the rows in batches through a cursor, in one read-only transaction so that the
    /// batches form one consistent snapshot.
    func forEachRow(on connection: PostgresConnection, batchSize: Int = 5000, _ body: ([String: String?]) -> Void) throws {
        try connection.transaction(isolation: .repeatableRead, readOnly: true) { connection in
            try connection.execute("DECLARE reimburse_report NO SCROLL CURSOR FOR \(sql)", parameters: parameters)
            while true {
                let batch = try connection.execute("FETCH \(batchSize) FROM reimburse_report")
                for row in batch.rows {
                    var values: [String: String?] = [:]
                    for (index, column) in Self.columns.enumerated() { values[column.name] = row[index] }
                    body(values)
                }
                if batch.rowCount < batchSize { break }
            }
        }
    }
}
