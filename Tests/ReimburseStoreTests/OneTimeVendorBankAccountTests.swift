import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// A one-time vendor created for a customer takes the customer's bank account (PRODUCT.md
/// section 9): the copy commits with the vendor, as the table owner (COPY) and as a service
/// login (staged writes under row-level security). A customer without an account gives a vendor
/// without one, and the job posts as before.
@Suite("One-time vendors take their customer's bank account")
struct OneTimeVendorBankAccountTests {
    static func ledger(on connection: PostgresConnection) throws -> Int64 {
        try LedgerFixture.company("OTVB", currency: "EUR", on: connection)
        try LedgerFixture.customer("OTVB", "C-BANK", currency: "EUR", on: connection)
        try LedgerFixture.transaction("OTVB", "C-BANK", amount: "-40", currency: "EUR", on: connection)
        try connection.execute(
            "INSERT INTO customer_bank_account (company_id, customer_account, iban, bic) VALUES ('OTVB', 'C-BANK', 'FR1420041010050500013M02606', 'PSSTFRPPLIL')")
        try LedgerFixture.customer("OTVB", "C-NOBANK", currency: "EUR", on: connection)
        try LedgerFixture.transaction("OTVB", "C-NOBANK", amount: "-15", currency: "EUR", on: connection)
        // A customer with its own vendor: the vendor's account is the user's business.
        try LedgerFixture.vendor("OTVB", "V-OWN", currency: "EUR", on: connection)
        try LedgerFixture.customer("OTVB", "C-OWN", currency: "EUR", vendorAccount: "V-OWN", on: connection)
        try LedgerFixture.transaction("OTVB", "C-OWN", amount: "-5", currency: "EUR", on: connection)
        try connection.execute(
            "INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('OTVB', 'C-OWN', 'NL91ABNA0417164300')")
        return try LedgerFixture.job("OTVB", on: connection)
    }

    static let accounts = """
        SELECT v.customer_account, v.one_time, b.iban, b.bic
          FROM vendor v LEFT JOIN vendor_bank_account b ON b.company_id = v.company_id AND b.vendor_account = v.account
         WHERE v.company_id = 'OTVB' ORDER BY v.customer_account NULLS LAST, v.account
        """

    static let expected = [
        "C-BANK|t|FR1420041010050500013M02606|PSSTFRPPLIL",
        "C-NOBANK|t|NULL|NULL",
        "NULL|f|NULL|NULL",
    ]

    @Test func asTheOwner() async throws {
        let database = try await TestServer.database()
        let rows = try await database.withConnection { connection in
            let job = try Self.ledger(on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", job, on: connection) == 3)
            return try Store.rows(Self.accounts, on: connection)
        }
        #expect(rows == Self.expected)
    }

    @Test func asAServiceLogin() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in try Self.ledger(on: connection) }
        try await RowSecurityTests.withServiceLogin(database) { login in
            try await Store.asLogin(login, database: database) { connection in
                try Store.run(job, on: connection)
                try connection.execute("DISCARD TEMP")
            }
        }
        let rows = try await database.withConnection { connection in try Store.rows(Self.accounts, on: connection) }
        #expect(rows == Self.expected)
    }
}
