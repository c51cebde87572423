import Postgres

/// Ids for the rows a chunk writes, taken from the tables' identity sequences in one round
/// trip, so rows that point at each other (a settlement at its reimbursement and debit) can be
/// written with COPY.
///
/// Each sequence is resolved once per statement (the scalar subquery is an InitPlan):
/// `nextval(pg_get_serial_sequence(...))` looked the sequence up in the catalog for every id
/// (3 ms of a 500-customer chunk's 1,300 ids, now under 1 ms).
struct IdentityReservation {
    var reimbursements: ArraySlice<Int64>
    var vendorInvoices: ArraySlice<Int64>
    var transactions: ArraySlice<Int64>
    var settlements: ArraySlice<Int64>

    static let sql = """
        SELECT (SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('reimbursement', 'id')::regclass))), '{}')
                  FROM generate_series(1, $1)),
               (SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('vendor_invoice', 'id')::regclass))), '{}')
                  FROM generate_series(1, $1)),
               (SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('customer_transaction', 'id')::regclass))), '{}')
                  FROM generate_series(1, $2)),
               (SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('customer_settlement', 'id')::regclass))), '{}')
                  FROM generate_series(1, $3))
        """

    static func reserve(
        reimbursements: Int, transactions: Int, settlements: Int, on connection: PostgresConnection
    ) throws -> IdentityReservation {
        guard reimbursements > 0 else { return IdentityReservation(reimbursements: [], vendorInvoices: [], transactions: [], settlements: []) }
        return try IdentityReservation(connection.execute(sql, reimbursements, transactions, settlements))
    }

    /// The ids ``sql`` returned (sent in a pipeline with other statements).
    init(_ result: PostgresResult) throws {
        let row = result[0]
        reimbursements = try row.decode([Int64].self, at: 0)[...]
        vendorInvoices = try row.decode([Int64].self, at: 1)[...]
        transactions = try row.decode([Int64].self, at: 2)[...]
        settlements = try row.decode([Int64].self, at: 3)[...]
    }

    private init(
        reimbursements: ArraySlice<Int64>, vendorInvoices: ArraySlice<Int64>, transactions: ArraySlice<Int64>,
        settlements: ArraySlice<Int64>
    ) {
        self.reimbursements = reimbursements
        self.vendorInvoices = vendorInvoices
        self.transactions = transactions
        self.settlements = settlements
    }

    mutating func nextReimbursement() -> Int64 { reimbursements.popFirst()! }
    mutating func nextVendorInvoice() -> Int64 { vendorInvoices.popFirst()! }
    mutating func nextTransaction() -> Int64 { transactions.popFirst()! }
    mutating func nextSettlement() -> Int64 { settlements.popFirst()! }
}
