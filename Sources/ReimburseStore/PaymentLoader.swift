import Postgres
import PaymentDocument
import ReimburseEngine

/// Reads a pay job's vendor invoices, keyed by id: the scan, the locks and the facts the
/// ``PaymentPlanner`` judges. Like ``ReversalLoader`` it never waits for another session: an
/// invoice someone else holds (a reversal, another payment run, accounts payable) is deferred.
struct PaymentLoader {
    let connection: PostgresConnection
    let job: StoredJob
    let settings: PaymentRunSettings
    let executionDate: LocalDate

    /// The selection (`$1` company, `$2` parameter): the approved preview's invoices, or the
    /// open reimbursement invoices due by the execution date (of `pays_job_ids` when given).
    private var selection: (predicate: String, parameters: [any PostgresEncodable]) {
        if let approved = job.approvesJobID {
            return ("""
                i.id IN (SELECT p.vendor_invoice_id FROM vendor_payment p
                          WHERE p.company_id = $1 AND p.job_id = $2 AND p.preview)
                """, [approved])
        }
        return ("""
            i.reimbursement_id IS NOT NULL AND i.settled_amount < i.amount AND i.reversal_id IS NULL
            AND i.due_date <= $2::date
            AND ($3::bigint[] IS NULL OR i.reimbursement_id IN (
                    SELECT r.id FROM reimbursement r WHERE r.company_id = $1 AND r.job_id = ANY ($3::bigint[])))
            """, [executionDate, settings.paysJobIDs])
    }

    func countSelected() throws -> Int {
        let (predicate, parameters) = selection
        let result = try connection.execute(
            "SELECT count(*) FROM vendor_invoice i WHERE i.company_id = $1 AND \(predicate)",
            parameters: [job.companyID] + parameters)
        return try result.first?.decode(Int.self, at: 0) ?? 0
    }

    func nextKeys(after: Int64?, limit: Int) throws -> [Int64] {
        let (predicate, parameters) = selection
        let next = parameters.count + 2
        let result = try connection.execute("""
            SELECT i.id FROM vendor_invoice i
             WHERE i.company_id = $1 AND \(predicate) AND ($\(next)::bigint IS NULL OR i.id > $\(next))
             ORDER BY i.id LIMIT $\(next + 1)
            """, parameters: [job.companyID] + parameters + [after, limit])
        return try result.rows.map { try $0.decode(Int64.self, at: 0) }
    }

    struct Chunk: LockedChunk {
        var invoices: [PayableInvoice] = []
        /// Approve mode: the preview's payment per invoice.
        var proposals: [Int64: PaymentProposal] = [:]
        var deferred: [Int64] = []
        var gone: [Int64] = []
        var unitCount: Int { invoices.count }
    }

    /// The invoices, locked, with their vendor, bank account, reimbursement and customer, and
    /// the unfinished pay preview of another run that holds each (`$3` the preview this job
    /// approves, which does not count; `$4` this job). A preview holds its invoices while it is
    /// queued, running or succeeded, is not released (cancel_requested) and no job approving it
    /// has succeeded.
    static let invoicesSQL = """
        SELECT i.id, i.invoice_number, i.vendor_account, v.name, i.currency, i.amount, i.amount_accounting,
               i.settled_amount, i.reversal_id IS NOT NULL, i.reimbursement_id, r.voucher, r.customer_account, c.name,
               b.iban, b.bic,
               (SELECT min(p.job_id) FROM vendor_payment p
                  JOIN reimbursement_job pj ON pj.company_id = p.company_id AND pj.id = p.job_id
                 WHERE p.company_id = i.company_id AND p.vendor_invoice_id = i.id AND p.preview
                   AND p.job_id <> $4 AND p.job_id IS DISTINCT FROM $3::bigint
                   AND pj.state IN ('queued', 'running', 'succeeded') AND NOT pj.cancel_requested
                   AND NOT EXISTS (SELECT 1 FROM reimbursement_job a
                                    WHERE a.company_id = pj.company_id AND a.approves_job_id = pj.id
                                      AND a.state = 'succeeded'))
          FROM vendor_invoice i
          JOIN reimbursement r ON r.company_id = i.company_id AND r.id = i.reimbursement_id
          LEFT JOIN vendor v ON v.company_id = i.company_id AND v.account = i.vendor_account
          LEFT JOIN customer c ON c.company_id = r.company_id AND c.account = r.customer_account
          LEFT JOIN vendor_bank_account b ON b.company_id = i.company_id AND b.vendor_account = i.vendor_account
         WHERE i.company_id = $1 AND i.id = ANY ($2::bigint[])
         ORDER BY i.id
           FOR UPDATE OF i SKIP LOCKED
        """

    static let proposalsSQL = """
        SELECT vendor_invoice_id, amount, creditor_iban, creditor_bic FROM vendor_payment
         WHERE company_id = $1 AND job_id = $2 AND preview AND vendor_invoice_id = ANY ($3::bigint[])
        """

    func lock(_ keys: [Int64]) throws -> Chunk {
        var chunk = Chunk()
        guard !keys.isEmpty else { return chunk }
        chunk.invoices = try connection.query(
            Self.invoicesSQL, job.companyID, keys, job.approvesJobID, job.id
        ) { row in
            PayableInvoice(
                id: try row.decode(at: 0), invoiceNumber: try row.decode(at: 1), vendorAccount: try row.decode(at: 2),
                vendorName: try row.decode(String?.self, at: 3), currency: try row.decode(at: 4),
                amount: try row.decode(at: 5), amountAccounting: try row.decode(at: 6),
                settledAmount: try row.decode(at: 7), cancelled: try row.decode(at: 8),
                reimbursementID: try row.decode(at: 9), reimbursementVoucher: try row.decode(at: 10),
                customerAccount: try row.decode(at: 11), customerName: try row.decode(String?.self, at: 12),
                creditorIBAN: try row.decode(String?.self, at: 13), creditorBIC: try row.decode(String?.self, at: 14),
                heldByPreview: try row.decode(Int64?.self, at: 15))
        }
        let locked = Set(chunk.invoices.map(\.id))
        let missing = keys.filter { !locked.contains($0) }
        if !missing.isEmpty {
            let existing = Set(try connection.query(
                "SELECT id FROM vendor_invoice WHERE company_id = $1 AND id = ANY ($2::bigint[])", job.companyID, missing
            ) { try $0.decode(Int64.self, at: 0) })
            chunk.deferred = missing.filter { existing.contains($0) }
            chunk.gone = missing.filter { !existing.contains($0) }
        }
        if let approved = job.approvesJobID, !chunk.invoices.isEmpty {
            for (id, proposal) in try connection.query(Self.proposalsSQL, job.companyID, approved, Array(locked), decode: { row in
                (try row.decode(Int64.self, at: 0),
                 PaymentProposal(
                    amount: try row.decode(at: 1), creditorIBAN: try row.decode(at: 2),
                    creditorBIC: try row.decode(String?.self, at: 3)))
            }) { chunk.proposals[id] = proposal }
        }
        return chunk
    }
}
