public import Postgres
public import ReimburseEngine

/// The company's parameters, checked before a job posts anything.
public struct CompanySettings: Sendable {
    public var rules: CompanyRules

    static let sequenceNames = ["reimbursement_voucher", "vendor_invoice", "one_time_vendor"]

    /// Loads the company and verifies that all three number sequences exist, so a job with a
    /// missing sequence fails before its first chunk rather than half-way.
    public static func load(companyID: String, on connection: PostgresConnection) throws -> CompanySettings {
        let rows = try connection.query("""
            SELECT accounting_currency, minimum_reimbursement, vendor_summary_account,
                   coalesce(one_time_vendor_group, ''), reimbursement_payment_days, exchange_difference_account
              FROM company WHERE id = $1
            """, companyID) { row in
            CompanyRules(
                id: companyID,
                accountingCurrency: try row.decode(at: 0),
                minimumReimbursement: try row.decode(at: 1),
                vendorSummaryAccount: try row.decode(at: 2),
                oneTimeVendorGroup: try row.decode(at: 3),
                paymentDays: try row.decode(at: 4),
                exchangeDifferenceAccount: try row.decode(Code?.self, at: 5))
        }
        guard let rules = rows.first else {
            throw JobFailure("company \(companyID) does not exist")
        }
        let present = Set(try connection.query(
            "SELECT name FROM number_sequence WHERE company_id = $1", companyID) { try $0.decode(String.self, at: 0) })
        for name in sequenceNames where !present.contains(name) {
            throw JobFailure.missingSequence(companyID: companyID, name: name)
        }
        return CompanySettings(rules: rules)
    }
}
