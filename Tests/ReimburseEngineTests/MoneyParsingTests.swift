import ReimburseEngine
import Testing

@Suite("Money parses PostgreSQL numeric text exactly")
struct MoneyParsingTests {
    @Test(arguments: [
        ("12", Int128(12_000_000)),
        ("0.5", 500_000),
        ("-0.000001", -1),
        ("0", 0),
        ("-0", 0),
        ("007.50", 7_500_000),
        ("1.1234560000", 1_123_456),
        ("-123456789012345678.123456", -123_456_789_012_345_678_123_456),
        ("123456789012345678.123456", 123_456_789_012_345_678_123_456),
        ("999999999999999999.999999", 999_999_999_999_999_999_999_999),
        ("000000000000000000000001", 1_000_000),
    ])
    func parsesExactly(text: String, microUnits: Int128) {
        #expect(Money(exactly: text)?.microUnits == microUnits)
    }

    @Test(arguments: [
        "12abc", "1,5", "1e5", "1E5", " 1", "1 ", "--1", "", "-", ".", ".5", "5.", "+1", "1.2.3",
        "NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢", "12\n",
    ])
    func rejectsAnythingButDigits(text: String) {
        #expect(Money(exactly: text) == nil)
        #expect(throws: MoneyError.notADecimalNumber(text: text)) { try Money(parsing: text) }
    }

    @Test func rejectsDecimalsThatWouldRound() {
        #expect(Money(exactly: "1.1234567") == nil)
        #expect(throws: MoneyError.tooManyDecimals(text: "1.1234567")) { try Money(parsing: "1.1234567") }
        #expect(throws: MoneyError.tooManyDecimals(text: "0.0000001")) { try Money(parsing: "0.0000001") }
    }

    @Test func rejectsMoreThanEighteenIntegerDigits() {
        #expect(throws: MoneyError.tooManyIntegerDigits(text: "1000000000000000000")) {
            try Money(parsing: "1000000000000000000")
        }
        #expect(throws: MoneyError.tooManyIntegerDigits(text: "-1234567890123456789.5")) {
            try Money(parsing: "-1234567890123456789.5")
        }
        #expect(throws: MoneyError.notADecimalNumber(text: "1234567890123456789abc")) {
            try Money(parsing: "1234567890123456789abc")
        }
    }

    @Test func readsRawUTF8AsText() {
        for text in ["-123456789012345678.123456", "0.5", "12abc", "1.1234567", ""] {
            let bytes = Array(text.utf8)
            let fromBytes = bytes.withUnsafeBufferPointer { Money(exactlyUTF8: $0) }
            #expect(fromBytes == Money(exactly: text), "\(text)")
        }
    }

    @Test func errorMessagesNameTheText() {
        #expect(MoneyError.notADecimalNumber(text: "12abc").description.contains("\"12abc\""))
        #expect(MoneyError.tooManyDecimals(text: "1.1234567").description.contains("6 decimal places"))
    }
}
