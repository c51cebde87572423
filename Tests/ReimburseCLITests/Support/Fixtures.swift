import Postgres

/// Rows the tests insert directly, as an ERP integration would.
enum Fixtures {
    static func company(_ id: String, currency: String = "USD", on connection: PostgresConnection) throws {
        try connection.execute(
            "INSERT INTO company (id, name, accounting_currency, vendor_summary_account) VALUES ($1, $2, $3, '2110')",
            id, "Company \(id)", currency)
    }
}
