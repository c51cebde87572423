import ReimburseEngine
import Testing

@Suite("Open transactions: remaining amounts and credit/debit by sign")
struct OpenTransactionTests {
    @Test func partlySettledCredit() throws {
        let credit = Fixture.credit(1, "100.00", accounting: "110.00", settled: "30.00", settledAccounting: "33.00")
        #expect(try credit.remaining == money("-70.00"))
        #expect(try credit.remainingAccounting == money("-77.00"))
        #expect(credit.isOpen && credit.isCredit && !credit.isDebit)
    }

    @Test func debit() throws {
        let debit = Fixture.debit(2, "5.00", settled: "1.00")
        #expect(try debit.remaining == money("4.00"))
        #expect(debit.isOpen && debit.isDebit && !debit.isCredit)
    }

    @Test func fullySettledIsNotOpen() {
        let credit = Fixture.credit(3, "10.00", settled: "10.00")
        #expect(!credit.isOpen && !credit.isCredit && !credit.isDebit)
    }

    @Test func openIsDecidedInTransactionCurrency() {
        // Settled in transaction currency, a rounding rest in accounting currency: not open.
        let credit = Fixture.credit(4, "10.00", accounting: "11.00", settled: "10.00", settledAccounting: "10.99")
        #expect(!credit.isOpen)
    }

    @Test func remainingBeyondTheColumnThrows() {
        let broken = OpenTransaction(
            id: 5, currency: "USD", amount: .min, amountAccounting: .min, settledAmount: .max,
            settledAmountAccounting: .max, ledgerAccount: "130100")
        #expect(throws: MoneyError.self) { try broken.remaining }
        #expect(broken.isCredit)
    }
}
