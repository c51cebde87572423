/// What the demo tells about its sample before running anything.
enum DemoSample {
    static func companies(_ sample: [SampleCompanyData]) -> TextTable {
        var table = TextTable(
            headers: ["company", "name", "currency", "minimum", "customers", "vendors", "transactions"],
            rightAligned: [false, false, false, true, true, true, true])
        for data in sample {
            table.append([
                data.company.id, data.company.name, data.company.currency, data.company.minimumText,
                String(data.customers.count), String(data.vendors.count), String(data.transactions.count),
            ])
        }
        return table
    }

    /// Customers per situation and company: what to expect in the skip reasons and the report.
    static func situations(_ sample: [SampleCompanyData]) -> TextTable {
        var table = TextTable(
            headers: ["customer situation"] + sample.map(\.company.id),
            rightAligned: [false] + sample.map { _ in true })
        for situation in SampleSituation.allCases {
            table.append([situation.rawValue] + sample.map { String($0.count(of: situation)) })
        }
        return table
    }
}
