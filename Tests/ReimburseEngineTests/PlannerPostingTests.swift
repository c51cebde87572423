import ReimburseEngine
import Testing

@Suite("Planner: debits, settlements, vendor invoice and voucher of a reimbursement")
struct PlannerPostingTests {
    let customer = Fixture.customer([
        Fixture.credit(7, "10.00", accounting: "11.00", currency: "EUR", ledger: "130200"),
        Fixture.credit(3, "5.00", accounting: "5.50", currency: "EUR", ledger: "130100"),
        Fixture.credit(5, "2.50", accounting: "2.75", currency: "EUR", ledger: "130200", settled: "0.50", settledAccounting: "0.55"),
        Fixture.debit(9, "100.00", currency: "EUR", ledger: "130100"),
    ])

    @Test func summarizedIsOneReimbursementWithADebitPerLedgerAccount() throws {
        let plan = try Fixture.planner(debitHandling: .include, summarize: true).plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(plan.reimbursements.count == 1)
        #expect(reimbursement.currency == "EUR")
        #expect(reimbursement.amount == money("17.00"))
        #expect(reimbursement.amountAccounting == money("18.70"))
        #expect(reimbursement.dueDate.description == "2026-04-14")
        #expect(
            reimbursement.debits == [
                PlannedDebit(
                    ledgerAccount: "130100", amount: money("5.00"), amountAccounting: money("5.50"),
                    settlements: [PlannedSettlement(creditTransactionId: 3, amount: money("5.00"), amountAccounting: money("5.50"))]),
                PlannedDebit(
                    ledgerAccount: "130200", amount: money("12.00"), amountAccounting: money("13.20"),
                    settlements: [
                        PlannedSettlement(creditTransactionId: 5, amount: money("2.00"), amountAccounting: money("2.20")),
                        PlannedSettlement(creditTransactionId: 7, amount: money("10.00"), amountAccounting: money("11.00")),
                    ]),
            ])
        #expect(
            reimbursement.voucherLines == [
                PlannedLedgerLine(account: "130100", postingType: .customerReimbursement, amount: money("5.00"), amountAccounting: money("5.50")),
                PlannedLedgerLine(account: "130200", postingType: .customerReimbursement, amount: money("12.00"), amountAccounting: money("13.20")),
                PlannedLedgerLine(account: "200100", postingType: .vendorBalance, amount: money("-17.00"), amountAccounting: money("-18.70")),
            ])
        #expect(reimbursement.creditTransactionIds == [3, 5, 7])
    }

    @Test func notSummarizedIsOneReimbursementPerLedgerAccount() throws {
        let plan = try Fixture.planner(debitHandling: .include, summarize: false).plan(customer)
        #expect(plan.reimbursements.map { $0.debits.map(\.ledgerAccount) } == [["130100"], ["130200"]])
        #expect(plan.reimbursements.map(\.amount) == [money("5.00"), money("12.00")])
        #expect(plan.reimbursements.map(\.creditTransactionIds) == [[3], [5, 7]])
        for reimbursement in plan.reimbursements {
            #expect(reimbursement.voucherLines.count == 2)
            #expect(reimbursement.voucherLines.last?.amount == -reimbursement.amount)
        }
    }

    @Test func notSummarizedStillJudgesTheCurrencyAsAWhole() throws {
        // 6 + 5 reaches 10 together although neither ledger account does alone.
        let customer = Fixture.customer([
            Fixture.credit(1, "6.00", ledger: "130100"),
            Fixture.credit(2, "5.00", ledger: "130200"),
        ])
        let plan = try Fixture.planner(minimum: "10.00", summarize: false).plan(customer)
        #expect(plan.reimbursements.map(\.amount) == [money("6.00"), money("5.00")])
        #expect(plan.skips.isEmpty)
    }

    @Test func inputOrderDoesNotMatter() throws {
        let planner = Fixture.planner(debitHandling: .include)
        var shuffled = customer
        shuffled.transactions.reverse()
        #expect(try planner.plan(shuffled) == planner.plan(customer))
        var random = SplitMix64(seed: 99)
        for _ in 0..<20 {
            shuffled.transactions.shuffle(using: &random)
            #expect(try planner.plan(shuffled) == planner.plan(customer))
        }
    }

    @Test func previewPlansExactlyWhatPostWould() throws {
        let post = try Fixture.planner(debitHandling: .include, mode: .post).plan(customer)
        let preview = try Fixture.planner(debitHandling: .include, mode: .preview).plan(customer)
        #expect(post == preview)
    }

    @Test func dueDateIsPostingDatePlusPaymentDays() throws {
        let plan = try Fixture.planner(paymentDays: 0).plan(Fixture.customer([Fixture.credit(1, "1.00")]))
        #expect(plan.reimbursements.first?.dueDate == Fixture.postingDate)
        let later = try Fixture.planner(paymentDays: 276).plan(Fixture.customer([Fixture.credit(1, "1.00")]))
        #expect(later.reimbursements.first?.dueDate.description == "2027-01-01")
    }
}
