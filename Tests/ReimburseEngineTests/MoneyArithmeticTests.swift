import ReimburseEngine
import Testing

@Suite("Money arithmetic is checked against numeric(24,6)")
struct MoneyArithmeticTests {
    @Test func addsAndSubtractsExactly() throws {
        #expect(try money("0.1").adding(money("0.2")) == money("0.3"))
        #expect(try money("10.00").subtracting(money("10.000001")) == money("-0.000001"))
        #expect(try Money.max.adding(Money.min) == .zero)
    }

    @Test func reportsSumsBeyondTheColumn() {
        #expect(throws: MoneyError.self) { try Money.max.adding(money("0.000001")) }
        #expect(throws: MoneyError.self) { try Money.min.subtracting(money("0.000001")) }
        #expect(throws: MoneyError.self) {
            try money("600000000000000000").adding(money("400000000000000000"))
        }
        #expect(throws: Never.self) { try money("600000000000000000").adding(money("399999999999999999.999999")) }
        let overflow = Money.max.addingReportingOverflow(money("1"))
        #expect(overflow.overflow && overflow.partialValue == .max)
        let fine = money("1").addingReportingOverflow(money("2"))
        #expect(!fine.overflow && fine.partialValue == money("3"))
    }

    @Test func overflowMessageShowsTheExactSum() {
        do {
            _ = try money("600000000000000000").adding(money("400000000000000000"))
            Issue.record("expected an overflow")
        } catch {
            #expect(error.description.contains("1000000000000000000.00"))
            #expect(error.description.contains("numeric(24,6)"))
        }
    }

    @Test func sumsManyWithOnlyTheResultBounded() throws {
        #expect(try Money.sum([Money.max, Money.max, Money.min]) == .max)
        #expect(try Money.sum([money("1.5"), money("-0.25")]) == money("1.25"))
        #expect(try Money.sum([Money]()) == .zero)
        #expect(throws: MoneyError.self) { try Money.sum([Money.max, money("1")]) }
    }

    @Test func messagesShowSumsBeyondSixtyFourBitsExactly() {
        #expect(throws: MoneyError.outOfRange("the sum 19999999999999999999.99998 does not fit numeric(24,6)")) {
            try Money.sum(Array(repeating: Money.max, count: 20))
        }
        #expect(throws: MoneyError.outOfRange("the sum -19999999999999999999.99998 does not fit numeric(24,6)")) {
            try Money.sum(Array(repeating: Money.min, count: 20))
        }
    }

    @Test func refusesMicroUnitsBeyondTheColumn() {
        #expect(Money(microUnits: 1_000_000_000_000_000_000_000_000) == nil)
        #expect(Money(microUnits: -1_000_000_000_000_000_000_000_000) == nil)
        #expect(Money(microUnits: 999_999_999_999_999_999_999_999) == .max)
    }

    @Test func signsAndMagnitude() {
        let credit = money("-9.99")
        #expect(credit.isNegative && !credit.isPositive && !credit.isZero)
        #expect(credit.signum() == -1 && Money.zero.signum() == 0 && money("1").signum() == 1)
        #expect(credit.magnitude == money("9.99"))
        #expect(-credit == money("9.99"))
        #expect(-Money.min == .max)
        #expect(Money.zero.isZero)
    }

    @Test func ordersAndHashesByValue() {
        #expect(money("-1") < money("0.000001"))
        #expect(money("9.99") < money("10"))
        #expect(money("10.0") == money("10.000000"))
        #expect(Set([money("1.50"), money("1.5")]).count == 1)
        #expect([money("3"), money("-2"), money("0.5")].sorted() == [money("-2"), money("0.5"), money("3")])
    }
}
