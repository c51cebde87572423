import Postgres
import ReimburseEngine

/// Reads a reverse job's reimbursements, keyed by id: the scan, the locks, and the facts the
/// ``ReversalPlanner`` judges. Like ``ChunkLoader`` for customers, it never waits for another
/// session: a reimbursement whose row, vendor invoice or settled transactions someone else
/// holds (accounts payable paying the invoice, the ERP on a credit) is deferred.
struct ReversalLoader {
    let connection: PostgresConnection
    let job: StoredJob
    let request: ReversalRequest

    /// `$1` company, `$2` the selection's parameter (the approved preview, the reversed job or
    /// the ids).
    private var selection: (predicate: String, parameter: any PostgresEncodable) {
        if let approved = job.approvesJobID {
            return ("""
                r.id IN (SELECT p.reimbursement_id FROM reimbursement_reversal_proposal p
                          WHERE p.company_id = $1 AND p.job_id = $2)
                """, approved)
        }
        if let reversed = request.reversesJobID { return ("r.job_id = $2", reversed) }
        return ("r.id = ANY($2::bigint[])", request.reimbursementIDs ?? [])
    }

    func countSelected() throws -> Int {
        let (predicate, parameter) = selection
        return try connection.queryValue(
            Int.self, "SELECT count(*) FROM reimbursement r WHERE r.company_id = $1 AND \(predicate)",
            job.companyID, parameter) ?? 0
    }

    func nextKeys(after: Int64?, limit: Int) throws -> [Int64] {
        let (predicate, parameter) = selection
        return try connection.query("""
            SELECT r.id FROM reimbursement r
             WHERE r.company_id = $1 AND \(predicate) AND ($3::bigint IS NULL OR r.id > $3)
             ORDER BY r.id LIMIT $4
            """, job.companyID, parameter, after, limit) { try $0.decode(Int64.self, at: 0) }
    }

    struct Chunk: LockedChunk {
        var reimbursements: [ReimbursementFacts] = []
        /// Approve mode: the preview's proposal per reimbursement.
        var proposals: [Int64: ReversalProposal] = [:]
        var deferred: [Int64] = []
        var gone: [Int64] = []
        var unitCount: Int { reimbursements.count }
    }

    static let reimbursementsSQL = """
        SELECT r.id, r.customer_account, r.currency, r.amount, r.amount_accounting, r.voucher, r.posting_date,
               r.vendor_invoice_id,
               EXISTS (SELECT 1 FROM reimbursement_reversal x
                        WHERE x.company_id = r.company_id AND x.reimbursement_id = r.id)
          FROM reimbursement r
         WHERE r.company_id = $1 AND r.id = ANY($2::bigint[])
         ORDER BY r.id
           FOR NO KEY UPDATE OF r SKIP LOCKED
        """

    static let invoicesSQL = """
        SELECT id, invoice_number, amount, settled_amount, reversal_id FROM vendor_invoice
         WHERE company_id = $1 AND id = ANY($2::bigint[])
           FOR UPDATE SKIP LOCKED
        """

    static let ledgerLinesSQL = """
        SELECT reimbursement_id, line, account, posting_type, amount, amount_accounting FROM ledger_entry
         WHERE company_id = $1 AND reimbursement_id = ANY($2::bigint[]) AND reversal_id IS NULL
         ORDER BY reimbursement_id, line
        """

    /// Every settlement, whatever its kind; the debit side's own accounting amount where the
    /// table has one (netting's `debit_amount_accounting`), read through the row's JSON so this
    /// query runs with or without that column.
    static let settlementsSQL = """
        SELECT s.reimbursement_id, s.id, s.debit_transaction_id, s.credit_transaction_id, s.amount,
               s.amount_accounting, (to_jsonb(s) ->> 'debit_amount_accounting')::numeric
          FROM customer_settlement s
         WHERE s.company_id = $1 AND s.reimbursement_id = ANY($2::bigint[])
         ORDER BY s.reimbursement_id, s.id
        """

    static let ownDebitsSQL = """
        SELECT r.id, t.id, t.ledger_account, t.amount, t.amount_accounting, t.settled_amount,
               t.settled_amount_accounting
          FROM reimbursement r
          JOIN customer_transaction t
            ON t.company_id = r.company_id AND t.customer_account = r.customer_account
           AND t.voucher = r.voucher AND t.kind = 'reimbursement'
         WHERE r.company_id = $1 AND r.id = ANY($2::bigint[])
         ORDER BY r.id, t.id
           FOR UPDATE OF t SKIP LOCKED
        """

    static let transactionsSQL = """
        SELECT id, ledger_account, amount, amount_accounting, settled_amount, settled_amount_accounting
          FROM customer_transaction
         WHERE company_id = $1 AND id = ANY($2::bigint[])
           FOR UPDATE SKIP LOCKED
        """

    static let proposalsSQL = """
        SELECT reimbursement_id, customer_account, currency, amount, amount_accounting, voucher, credit_transaction_ids
          FROM reimbursement_reversal_proposal
         WHERE company_id = $1 AND job_id = $2 AND reimbursement_id = ANY($3::bigint[])
        """

    /// Locks exactly `keys` and loads the facts of those it could lock whole.
    func lock(_ keys: [Int64]) throws -> Chunk {
        var chunk = Chunk()
        guard !keys.isEmpty else { return chunk }
        let company = job.companyID
        var invoiceOf: [Int64: Int64] = [:]
        var reimbursements = try connection.query(Self.reimbursementsSQL, company, keys) { row in
            let id: Int64 = try row.decode(at: 0)
            if let invoice = try row.decode(Int64?.self, at: 7) { invoiceOf[id] = invoice }
            return ReimbursementFacts(
                id: id, customerAccount: try row.decode(at: 1), currency: try row.decode(at: 2),
                amount: try row.decode(at: 3), amountAccounting: try row.decode(at: 4), voucher: try row.decode(at: 5),
                postingDate: try row.decode(at: 6), invoice: nil, reversed: try row.decode(at: 8), ledgerLines: [],
                debits: [], settlements: [], settledTransactions: [:])
        }
        var held = Set(keys).subtracting(reimbursements.map(\.id))
        // Reimbursements are never deleted: one not locked is held by another session.
        chunk.gone = []

        let ids = reimbursements.map(\.id)
        var invoices: [Int64: InvoiceFacts] = [:]
        let lockedInvoices = try connection.query(Self.invoicesSQL, company, Array(invoiceOf.values)) { row in
            InvoiceFacts(
                id: try row.decode(at: 0), invoiceNumber: try row.decode(at: 1), amount: try row.decode(at: 2),
                settledAmount: try row.decode(at: 3), reversalID: try row.decode(Int64?.self, at: 4))
        }
        for invoice in lockedInvoices { invoices[invoice.id] = invoice }
        let existingInvoices = Set(try connection.query(
            "SELECT id FROM vendor_invoice WHERE company_id = $1 AND id = ANY($2::bigint[])", company,
            Array(invoiceOf.values)) { try $0.decode(Int64.self, at: 0) })

        var lines: [Int64: [LedgerLineFacts]] = [:]
        for (id, line) in try connection.query(Self.ledgerLinesSQL, company, ids, decode: { row in
            (try row.decode(Int64.self, at: 0), LedgerLineFacts(
                line: try row.decode(at: 1), account: try row.decode(at: 2), postingType: try row.decode(at: 3),
                amount: try row.decode(at: 4), amountAccounting: try row.decode(at: 5)))
        }) { lines[id, default: []].append(line) }

        var settlements: [Int64: [SettlementFacts]] = [:]
        for (id, settlement) in try connection.query(Self.settlementsSQL, company, ids, decode: { row in
            (try row.decode(Int64.self, at: 0), SettlementFacts(
                id: try row.decode(at: 1), debitTransactionID: try row.decode(at: 2),
                creditTransactionID: try row.decode(at: 3), amount: try row.decode(at: 4),
                amountAccounting: try row.decode(at: 5), debitAmountAccounting: try row.decode(Money?.self, at: 6)))
        }) { settlements[id, default: []].append(settlement) }

        var debits: [Int64: [TransactionFacts]] = [:]
        for (id, debit) in try connection.query(Self.ownDebitsSQL, company, ids, decode: { row in
            (try row.decode(Int64.self, at: 0), try Self.transaction(row, from: 1))
        }) { debits[id, default: []].append(debit) }
        let ownDebitCount = try connection.query("""
            SELECT r.id, count(*) FROM reimbursement r
              JOIN customer_transaction t ON t.company_id = r.company_id AND t.customer_account = r.customer_account
                                         AND t.voucher = r.voucher AND t.kind = 'reimbursement'
             WHERE r.company_id = $1 AND r.id = ANY($2::bigint[]) GROUP BY r.id
            """, company, ids) { (try $0.decode(Int64.self, at: 0), try $0.decode(Int.self, at: 1)) }

        let touched = Array(Set(settlements.values.flatMap { $0.flatMap { [$0.creditTransactionID, $0.debitTransactionID] } }))
        var transactions: [Int64: TransactionFacts] = [:]
        for transaction in try connection.query(Self.transactionsSQL, company, touched, decode: { try Self.transaction($0, from: 0) }) {
            transactions[transaction.id] = transaction
        }
        let existingTransactions = Set(try connection.query(
            "SELECT id FROM customer_transaction WHERE company_id = $1 AND id = ANY($2::bigint[])", company, touched
        ) { try $0.decode(Int64.self, at: 0) })

        for index in reimbursements.indices {
            let id = reimbursements[index].id
            if let invoice = invoiceOf[id] {
                if let facts = invoices[invoice] {
                    reimbursements[index].invoice = facts
                } else if existingInvoices.contains(invoice) {
                    held.insert(id)
                }
            }
            let own = debits[id] ?? []
            if let count = ownDebitCount.first(where: { $0.0 == id })?.1, count != own.count { held.insert(id) }
            reimbursements[index].debits = own
            reimbursements[index].ledgerLines = lines[id] ?? []
            reimbursements[index].settlements = settlements[id] ?? []
            for settlement in settlements[id] ?? [] {
                for touchedID in [settlement.creditTransactionID, settlement.debitTransactionID] {
                    if let facts = transactions[touchedID] {
                        reimbursements[index].settledTransactions[touchedID] = facts
                    } else if existingTransactions.contains(touchedID) {
                        held.insert(id)
                    }
                }
            }
        }
        reimbursements.removeAll { held.contains($0.id) }
        chunk.deferred = keys.filter { held.contains($0) }
        chunk.reimbursements = reimbursements

        if let approved = job.approvesJobID, !reimbursements.isEmpty {
            for (id, proposal) in try connection.query(Self.proposalsSQL, company, approved, reimbursements.map(\.id), decode: { row in
                (try row.decode(Int64.self, at: 0), ReversalProposal(
                    customerAccount: try row.decode(at: 1), currency: try row.decode(at: 2),
                    amount: try row.decode(at: 3), amountAccounting: try row.decode(at: 4),
                    voucher: try row.decode(at: 5), creditTransactionIds: try row.decode([Int64].self, at: 6)))
            }) { chunk.proposals[id] = proposal }
        }
        return chunk
    }

    private static func transaction(_ row: PostgresRow, from start: Int) throws -> TransactionFacts {
        TransactionFacts(
            id: try row.decode(at: start), ledgerAccount: try row.decode(at: start + 1),
            amount: try row.decode(at: start + 2), amountAccounting: try row.decode(at: start + 3),
            settledAmount: try row.decode(at: start + 4), settledAmountAccounting: try row.decode(at: start + 5))
    }
}
