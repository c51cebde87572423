import Postgres

/// A one-time vendor created for a customer takes the customer's bank account (PRODUCT.md
/// section 9): a copy of `customer_bank_account` into `vendor_bank_account`, written in the
/// chunk's transaction right after the vendors, so the copy and the vendor commit together.
/// A customer without a bank account gives a vendor without one (its invoices are later skipped
/// `no_bank_account` by a payment run); a vendor that already has one keeps it.
struct OneTimeVendorBankAccounts {
    private(set) var vendorAccounts: [String] = []
    private(set) var customerAccounts: [String] = []

    mutating func add(vendorAccount: String, customerAccount: String) {
        vendorAccounts.append(vendorAccount)
        customerAccounts.append(customerAccount)
    }

    static let copySQL = """
        INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic)
        SELECT b.company_id, v.vendor_account, b.iban, b.bic
          FROM unnest($2::text[], $3::text[]) AS v(vendor_account, customer_account)
          JOIN customer_bank_account b ON b.company_id = $1 AND b.customer_account = v.customer_account
        ON CONFLICT (company_id, vendor_account) DO NOTHING
        """

    /// Copies the accounts of the customers of the vendors added; one statement, none when
    /// no vendor was created.
    func write(companyID: String, to statements: ChunkStatements) throws {
        guard !vendorAccounts.isEmpty else { return }
        try statements.execute(Self.copySQL, [companyID, vendorAccounts, customerAccounts])
    }
}
