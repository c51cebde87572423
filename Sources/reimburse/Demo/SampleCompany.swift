/// One legal entity of the demo's sample, chosen so that the three differ where the rules
/// differ: the minimum (10.00, none, 25.00) and the accounting currency.
struct SampleCompany: Sendable {
    var id: String
    var name: String
    var currency: String
    var minimumCents: Int
    /// The second currency some customers hold credits in, and its rate into `currency`.
    var foreignCurrency: String
    var foreignRateNumerator: Int
    var foreignRateDenominator: Int
    /// Share of all sample customers, in percent.
    var sharePercent: Int
    var paymentDays: Int

    static let all: [SampleCompany] = [
        SampleCompany(
            id: "USMF", name: "Contoso Entertainment System USA", currency: "USD", minimumCents: 1000,
            foreignCurrency: "EUR", foreignRateNumerator: 108, foreignRateDenominator: 100,
            sharePercent: 50, paymentDays: 14),
        SampleCompany(
            id: "DEMF", name: "Contoso Entertainment System Germany", currency: "EUR", minimumCents: 0,
            foreignCurrency: "USD", foreignRateNumerator: 92, foreignRateDenominator: 100,
            sharePercent: 30, paymentDays: 30),
        SampleCompany(
            id: "GBSI", name: "Contoso Retail UK", currency: "GBP", minimumCents: 2500,
            foreignCurrency: "EUR", foreignRateNumerator: 85, foreignRateDenominator: 100,
            sharePercent: 20, paymentDays: 7),
    ]

    var minimumText: String { Cents.text(minimumCents) }
}
