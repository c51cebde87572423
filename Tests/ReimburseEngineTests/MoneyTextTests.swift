import ReimburseEngine
import Testing

@Suite("Money prints minimal exact text with at least two decimals")
struct MoneyTextTests {
    @Test(arguments: [
        ("12", "12.00"),
        ("10", "10.00"),
        ("9.99", "9.99"),
        ("0.5", "0.50"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("0.000001", "0.000001"),
        ("-0.000001", "-0.000001"),
        ("1.234500", "1.2345"),
        ("-7.100", "-7.10"),
        ("999999999999999999.999999", "999999999999999999.999999"),
        ("-123456789012345678.123456", "-123456789012345678.123456"),
        ("100000000000000000", "100000000000000000.00"),
    ])
    func prints(text: String, expected: String) {
        #expect(money(text).description == expected)
    }

    @Test(arguments: ["123456789012345678.123456", "-123456789012345678.123456", "9.99", "-0.50", "0.000001"])
    func roundTrips(text: String) {
        let amount = money(text)
        #expect(Money(exactly: amount.description) == amount)
    }

    @Test func everyRandomAmountRoundTrips() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let digits = Int.random(in: 0...24, using: &random)
            var bound: Int128 = 1
            for _ in 0..<digits { bound *= 10 }
            let microUnits = Int128.random(in: -(bound - 1)...(bound - 1), using: &random)
            let amount = Money(microUnits: microUnits)!
            #expect(Money(exactly: amount.description) == amount, "\(microUnits)")
        }
    }
}
