/// A customer row of the sample.
struct SampleCustomer: Sendable {
    var account: String
    var name: String
    var group: String
    var currency: String
    var vendorAccount: String?
    var onHold: Bool
    var address: String
    var situation: SampleSituation
}

/// A vendor row of the sample: the customers' own vendors and earlier one-time vendors.
struct SampleVendor: Sendable {
    var account: String
    var name: String
    var group: String
    var currency: String
    var address: String
    var oneTime: Bool
    var customerAccount: String?
}

/// A customer transaction of the sample; amounts in cents, debit positive, credit negative.
struct SampleTransaction: Sendable {
    var customerAccount: String
    var voucher: String
    var date: String
    var kind: String
    var currency: String
    var amountCents: Int
    var accountingCents: Int
    var settledCents: Int = 0
    var settledAccountingCents: Int = 0
    var ledgerAccount: String
    var markedForSettlement = false
}

/// Everything the sample loads for one company.
struct SampleCompanyData: Sendable {
    var company: SampleCompany
    var customers: [SampleCustomer] = []
    var vendors: [SampleVendor] = []
    var transactions: [SampleTransaction] = []

    func count(of situation: SampleSituation) -> Int {
        customers.reduce(0) { $0 + ($1.situation == situation ? 1 : 0) }
    }
}
