import ReimburseEngine

/// Makes the demo's customers, vendors and open transactions, the same for the same seed.
///
/// The first customers of each company take every ``SampleSituation`` once, in order, so even
/// a small sample shows every rule; the rest are drawn by weight.
struct SampleDataGenerator {
    var seed: UInt64 = 2024

    static let minimumCustomers = SampleCompany.all.count * SampleSituation.allCases.count

    private static let nameStems = [
        "Adatum", "Fabrikam", "Litware", "Northwind", "Proseware", "Tailspin", "Wingtip", "Woodgrove",
        "Alpine Ski", "Coho Winery", "Fourth Coffee", "Lamna", "Margie's Travel", "Relecloud", "Trey Research",
        "Wide World", "Blue Yonder", "Contoso Pharma", "Humongous", "Lucerne",
    ]
    private static let nameSuffixes = ["Retail", "Supply", "Foods", "Sports", "Design", "Labs", "Partners", "Stores"]
    private static let streets = ["Main St", "Harbour Rd", "Station Way", "Market Sq", "Mill Lane", "Park Ave"]
    private static let cities = ["Springfield", "Bristol", "Hamburg", "Leeds", "Portland", "Bremen", "York"]
    private static let groups = ["RETAIL", "RETAIL", "RETAIL", "WHOLESALE", "WHOLESALE", "STAFF"]
    /// The name that shows CSV quoting in `reimburse report --format csv`.
    static let awkwardName = "Smith, Jones & \"Partners\""

    func generate(totalCustomers: Int) -> [SampleCompanyData] {
        var remaining = totalCustomers
        return SampleCompany.all.enumerated().map { index, company in
            let isLast = index == SampleCompany.all.count - 1
            let count = isLast ? remaining : totalCustomers * company.sharePercent / 100
            remaining -= count
            var generator = SplitMix64(seed: seed &+ UInt64(index) &* 0x1000_0001)
            return generate(company, customers: count, using: &generator)
        }
    }

    private func generate(_ company: SampleCompany, customers count: Int, using generator: inout SplitMix64)
        -> SampleCompanyData
    {
        var data = SampleCompanyData(company: company)
        var builder = TransactionBuilder(company: company)
        let situations = SampleSituation.allCases
        for number in 1...max(1, count) {
            let situation = number <= situations.count
                ? situations[number - 1] : SampleSituation.weighted(using: &generator)
            let account = "C-" + Self.padded(number, 5)
            let name = number == 1 && company.id == "USMF"
                ? Self.awkwardName
                : "\(Self.nameStems.randomElement(using: &generator)!) \(Self.nameSuffixes.randomElement(using: &generator)!)"
            let address = "\(Int.random(in: 1...250, using: &generator)) \(Self.streets.randomElement(using: &generator)!), "
                + Self.cities.randomElement(using: &generator)!
            var customer = SampleCustomer(
                account: account, name: name, group: Self.groups.randomElement(using: &generator)!,
                currency: company.currency, vendorAccount: nil, onHold: false, address: address, situation: situation)
            switch situation {
            case .ownVendor:
                customer.vendorAccount = "V-" + Self.padded(number, 5)
                data.vendors.append(SampleVendor(
                    account: customer.vendorAccount!, name: name, group: "REFUND", currency: company.currency,
                    address: address, oneTime: false, customerAccount: nil))
            case .existingOneTimeVendor:
                data.vendors.append(SampleVendor(
                    account: "OTV-OLD-" + Self.padded(number, 5), name: name, group: "OTV", currency: company.currency,
                    address: address, oneTime: true, customerAccount: account))
            case .vendorMissing:
                customer.vendorAccount = "V-GONE-" + Self.padded(number, 5)
            case .onHold:
                customer.onHold = true
            default:
                break
            }
            data.customers.append(customer)
            if Bool.random(using: &generator) {
                data.transactions += builder.settledHistory(account, using: &generator)
            }
            data.transactions += builder.openTransactions(for: situation, account: account, using: &generator)
        }
        return data
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
