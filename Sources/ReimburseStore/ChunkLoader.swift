import Postgres
import ReimburseEngine

/// Reads the next chunk of a job's customers, locked, with everything the engine needs.
struct ChunkLoader {
    let connection: PostgresConnection
    let job: StoredJob

    /// The selection of PRODUCT.md §1 in SQL: either given list matches; both NULL selects
    /// everyone; an empty array selects nothing from its list. An approval selects exactly the
    /// customers of the approved preview's proposals.
    static let selectionPredicate = """
        ((c.account = ANY($3::text[]) OR c.customer_group = ANY($4::text[]))
          OR ($3::text[] IS NULL AND $4::text[] IS NULL))
        AND ($5::bigint IS NULL OR EXISTS (
              SELECT 1 FROM reimbursement_proposal p
               WHERE p.company_id = c.company_id AND p.job_id = $5 AND p.customer_account = c.account))
        """

    /// The next keys of the job's scan, in account order, without locking anything: the chunk
    /// then locks exactly these keys (``customersSQL``). Choosing and locking in one
    /// `ORDER BY account LIMIT n FOR UPDATE` is wrong in READ COMMITTED: a row renamed while the
    /// statement waits for its lock comes back with its new account, and a checkpoint taken
    /// from it jumps over the customers in between.
    static let keysSQL = """
        SELECT c.account FROM customer c
         WHERE c.company_id = $1 AND ($2::text IS NULL OR c.account > $2)
           AND \(selectionPredicate)
         ORDER BY c.account
         LIMIT $6
        """

    /// Locks exactly the chosen keys that are still selected, skipping rows another session
    /// holds. `FOR NO KEY UPDATE`, not `FOR UPDATE`: it keeps the customer's own fields (on
    /// hold, vendor, name) fixed while the chunk decides, but does not conflict with the
    /// `FOR KEY SHARE` that a foreign-key check takes when the ERP inserts a transaction for
    /// the customer. (`FOR UPDATE` made such an ERP transaction, which had already settled one
    /// of the customer's transactions, the victim of a deadlock with the chunk.) A row renamed
    /// meanwhile is re-checked on its new version and fails `account = ANY($2)`.
    static let customersSQL = """
        SELECT c.account, coalesce(c.name, ''), c.customer_group, c.currency, coalesce(c.address, ''),
               c.on_hold, c.vendor_account, c.name IS NULL, c.address IS NULL,
               own.account IS NOT NULL, one_time.account
          FROM customer c
          -- Joins, not EXISTS or min() in the select list: those were planned as a hashed scan
          -- of every vendor of the company for each chunk (621 ms per chunk at 1M customers);
          -- a join is one primary-key or index probe per customer.
          -- LATERAL with LIMIT 1 cannot become a hash join over every vendor of the company
          -- (7 ms per chunk at 100k customers and growing with the company): one primary-key
          -- probe per customer, whatever the statistics say about vendor.
          LEFT JOIN LATERAL (
                SELECT v.account FROM vendor v
                 WHERE v.company_id = c.company_id AND v.account = c.vendor_account
                 LIMIT 1) own ON true
          LEFT JOIN LATERAL (
                SELECT v.account FROM vendor v
                 WHERE v.company_id = c.company_id AND v.one_time AND v.customer_account = c.account
                 ORDER BY v.account
                 LIMIT 1) one_time ON true
         WHERE c.company_id = $1 AND c.account = ANY($2::text[])
           AND \(selectionPredicate)
         ORDER BY c.account
           FOR NO KEY UPDATE OF c SKIP LOCKED
        """

    /// Of the chosen keys the chunk could not lock, those that still exist and are selected:
    /// another session holds them. The others are gone (deleted, renamed, deselected).
    static let stillSelectedSQL = """
        SELECT c.account FROM customer c
         WHERE c.company_id = $1 AND c.account = ANY($2::text[])
           AND \(selectionPredicate)
        """

    static let countSQL = """
        SELECT count(*) FROM customer c WHERE c.company_id = $1 AND ($2::text IS NULL OR c.account > $2)
           AND \(selectionPredicate)
        """

    static let openTransactionsSQL = """
        SELECT customer_account, id, currency, amount, amount_accounting, settled_amount,
               settled_amount_accounting, ledger_account, marked_for_settlement, transaction_date
          FROM customer_transaction
         WHERE company_id = $1 AND customer_account = ANY($2::text[]) AND amount <> settled_amount
         ORDER BY customer_account, id
           FOR UPDATE SKIP LOCKED
        """

    /// The open transactions of the locked customers as they are now, locked or not: one that
    /// the locking read skipped (another session holds it) or did not see yet (inserted since)
    /// means the chunk does not know the customer whole, and defers it.
    static let openTransactionIDsSQL = """
        SELECT customer_account, id FROM customer_transaction
         WHERE company_id = $1 AND customer_account = ANY($2::text[]) AND amount <> settled_amount
        """

    static let proposalsSQL = """
        SELECT customer_account, currency, amount, amount_accounting, credit_transaction_ids, vendor_account,
               netted_amount, netted_amount_accounting, netted_debit_ids, open_debit_ids, open_debit_amount,
               open_debit_amount_accounting
          FROM reimbursement_proposal
         WHERE company_id = $1 AND job_id = $2 AND customer_account = ANY($3::text[])
         ORDER BY customer_account, id
        """

    /// How many customers the job selects in all, for progress.
    func countSelected() throws -> Int {
        try connection.queryValue(
            Int.self, Self.countSQL, job.companyID, String?.none, job.customerAccounts, job.customerGroups,
            job.approvesJobID) ?? 0
    }

    /// One chunk: the customers in account order with their open transactions, an approval's
    /// proposals per customer, and which customers have no name or address (the engine sees
    /// them as empty text; a one-time vendor created for them copies the NULL). Keys are
    /// ``Code``s: compared by bytes, as the database keys them.
    struct Chunk {
        var customers: [CustomerFacts] = []
        var proposals: [Code: [ReimbursementProposal]] = [:]
        var withoutName: Set<Code> = []
        var withoutAddress: Set<Code> = []
        /// Customers with a row that cannot be read, with what is wrong: they are planned as
        /// `invalid_data`, not handed to the engine.
        var unreadable: [Code: String] = [:]
        /// Chosen keys that another session holds (the customer row or one of its open
        /// transactions), in key order: tried again later in the same job.
        var deferred: [Code] = []
        /// Chosen keys no longer found under that account (deleted, renamed, deselected).
        var gone: [Code] = []
    }

    /// The next keys of the scan after `after` (nil: from the start), at most `limit`.
    func nextKeys(after: Code?, limit: Int) throws -> [Code] {
        try connection.query(
            Self.keysSQL, job.companyID, after, job.customerAccounts, job.customerGroups, job.approvesJobID, limit
        ) { try $0.decode(Code.self, at: 0) }
    }

    /// Locks exactly `keys` (chosen by ``nextKeys(after:limit:)`` or deferred earlier) and
    /// loads what the engine needs for those it could lock whole. Never waits for another
    /// session's row lock: what is held elsewhere comes back in ``Chunk/deferred``. Keys are
    /// ``Code``s, compared byte for byte, as PostgreSQL compares them.
    func lock(_ keys: [Code]) throws -> Chunk {
        var chunk = Chunk()
        guard !keys.isEmpty else { return chunk }
        var withoutName: Set<Code> = []
        var withoutAddress: Set<Code> = []
        var unreadable: [Code: String] = [:]
        let chosen = Set(keys)
        var customers = try connection.query(
            Self.customersSQL, job.companyID, keys, job.customerAccounts, job.customerGroups, job.approvesJobID
        ) { row in
            let account: Code = try row.decode(at: 0)
            do {
                if try row.decode(Bool.self, at: 7) { withoutName.insert(account) }
                if try row.decode(Bool.self, at: 8) { withoutAddress.insert(account) }
                return CustomerFacts(
                    account: account,
                    name: try row.decode(at: 1),
                    group: try row.decode(Code?.self, at: 2),
                    currency: try row.decode(at: 3),
                    address: try row.decode(at: 4),
                    onHold: try row.decode(at: 5),
                    vendorAccount: try row.decode(Code?.self, at: 6),
                    vendorAccountExists: try row.decode(at: 9),
                    existingOneTimeVendor: try row.decode(Code?.self, at: 10),
                    transactions: [])
            } catch let error as PostgresError where error.kind == .decoding {
                unreadable[account] = "the customer row cannot be read: \(error.message)"
                return CustomerFacts(account: account, currency: "", transactions: [])
            }
        }
        // The re-check of the lock: a row is taken only under the key it was chosen by.
        customers.removeAll { !chosen.contains($0.account) }
        let lockedKeys = Set(customers.map(\.account))
        let missing = keys.filter { !lockedKeys.contains($0) }
        var heldElsewhere: Set<Code> = []
        if !missing.isEmpty {
            let still = try connection.query(
                Self.stillSelectedSQL, job.companyID, missing, job.customerAccounts, job.customerGroups,
                job.approvesJobID) { try $0.decode(Code.self, at: 0) }
            heldElsewhere = Set(still)
            chunk.gone = missing.filter { !heldElsewhere.contains($0) }
        }
        guard !customers.isEmpty else {
            chunk.deferred = keys.filter { heldElsewhere.contains($0) }
            return chunk
        }
        var index: [Code: Int] = [:]
        index.reserveCapacity(customers.count)
        for (position, customer) in customers.enumerated() { index[customer.account] = position }
        let accounts = customers.map(\.account)

        var lockedTransactions: Set<Int64> = []
        // Both reads in one round trip, in this order: the second sees what the first could
        // not lock (a statement of its own, so with a snapshot taken after the first).
        let reads = try connection.pipeline([
            PostgresStatement(Self.openTransactionsSQL, job.companyID, accounts),
            PostgresStatement(Self.openTransactionIDsSQL, job.companyID, accounts),
        ])
        let result = reads[0]
        for rowIndex in 0..<result.rowCount {
            let row = result[rowIndex]
            let account: Code = try row.decode(at: 0)
            guard let position = index[account] else { continue }
            // Locked even when unreadable: the customer is then planned as invalid_data.
            if let id = try? row.decode(Int64.self, at: 1) { lockedTransactions.insert(id) }
            do {
                customers[position].transactions.append(OpenTransaction(
                    id: try row.decode(at: 1),
                    currency: try row.decode(at: 2),
                    amount: try row.decode(at: 3),
                    amountAccounting: try row.decode(at: 4),
                    settledAmount: try row.decode(at: 5),
                    settledAmountAccounting: try row.decode(at: 6),
                    ledgerAccount: try row.decode(at: 7),
                    markedForSettlement: try row.decode(at: 8),
                    transactionDate: try row.decode(at: 9)))
            } catch let error as PostgresError where error.kind == .decoding {
                // One unreadable row makes its customer invalid_data; the others go on.
                let id = row[1] ?? "?"
                let problem = "transaction \(id) cannot be read: \(error.message)"
                unreadable[account] = unreadable[account].map { "\($0); \(problem)" } ?? problem
            }
        }
        // A customer is planned only when every open transaction of it is locked by the chunk.
        let open = reads[1]
        for rowIndex in 0..<open.rowCount {
            let row = open[rowIndex]
            let id = try row.decode(Int64.self, at: 1)
            if !lockedTransactions.contains(id) { heldElsewhere.insert(try row.decode(Code.self, at: 0)) }
        }
        customers.removeAll { heldElsewhere.contains($0.account) }
        chunk.deferred = keys.filter { heldElsewhere.contains($0) }
        guard !customers.isEmpty else { return chunk }
        chunk.withoutName = withoutName
        chunk.withoutAddress = withoutAddress
        chunk.unreadable = unreadable.filter { !heldElsewhere.contains($0.key) }

        if let approved = job.approvesJobID {
            let rows = try connection.query(Self.proposalsSQL, job.companyID, approved, customers.map(\.account)) { row in
                (try row.decode(Code.self, at: 0), ReimbursementProposal(
                    currency: try row.decode(at: 1),
                    amount: try row.decode(at: 2),
                    amountAccounting: try row.decode(at: 3),
                    creditTransactionIds: try row.decode([Int64].self, at: 4),
                    vendorAccount: try row.decode(Code?.self, at: 5),
                    netting: try ProposalNettingColumns.decode(row, from: 6)))
            }
            for (account, proposal) in rows { chunk.proposals[account, default: []].append(proposal) }
        }
        chunk.customers = customers
        return chunk
    }
}
