import ReimburseEngine
import Testing

/// The rules of PRODUCT.md §8 in the engine, without a database.
@Suite("Reversal planner")
struct ReversalPlannerTests {
    static let day = LocalDate(year: 2026, month: 11, day: 30)!

    /// A reimbursement of 30 (accounting 33): credit 11 settled 10 of -25 earlier and 20 by it,
    /// credit 12 settled 10 by it; debit 21 its own, debit 31 netted (amount 5, debit side
    /// accounting 6) as netting would record it.
    static func facts(invoiceSettled: String = "0", reversed: Bool = false, postedOn: LocalDate = day) -> ReimbursementFacts {
        ReimbursementFacts(
            id: 7, customerAccount: "C1", currency: "EUR", amount: money("30"), amountAccounting: money("33"),
            voucher: "RV-7", postingDate: postedOn,
            invoice: InvoiceFacts(id: 70, invoiceNumber: "VI-7", amount: money("30"), settledAmount: money(invoiceSettled),
                                  reversalID: nil),
            reversed: reversed,
            ledgerLines: [
                LedgerLineFacts(line: 2, account: "2100", postingType: "vendor_balance", amount: money("-30"),
                                amountAccounting: money("-33")),
                LedgerLineFacts(line: 1, account: "1200", postingType: "customer_reimbursement", amount: money("30"),
                                amountAccounting: money("33")),
            ],
            debits: [TransactionFacts(id: 21, ledgerAccount: "1200", amount: money("35"), amountAccounting: money("38.5"),
                                      settledAmount: money("35"), settledAmountAccounting: money("38.5"))],
            settlements: [
                SettlementFacts(id: 1, debitTransactionID: 21, creditTransactionID: 11, amount: money("20"),
                                amountAccounting: money("22")),
                SettlementFacts(id: 2, debitTransactionID: 21, creditTransactionID: 12, amount: money("10"),
                                amountAccounting: money("11")),
                SettlementFacts(id: 3, debitTransactionID: 31, creditTransactionID: 12, amount: money("5"),
                                amountAccounting: money("5.5"), debitAmountAccounting: money("6")),
            ],
            settledTransactions: [
                11: TransactionFacts(id: 11, ledgerAccount: "1200", amount: money("-25"), amountAccounting: money("-27.5"),
                                     settledAmount: money("-25"), settledAmountAccounting: money("-27.5")),
                12: TransactionFacts(id: 12, ledgerAccount: "1200", amount: money("-15"), amountAccounting: money("-16.5"),
                                     settledAmount: money("-15"), settledAmountAccounting: money("-16.5")),
                21: TransactionFacts(id: 21, ledgerAccount: "1200", amount: money("35"), amountAccounting: money("38.5"),
                                     settledAmount: money("35"), settledAmountAccounting: money("38.5")),
                31: TransactionFacts(id: 31, ledgerAccount: "1200", amount: money("9"), amountAccounting: money("9.9"),
                                     settledAmount: money("5"), settledAmountAccounting: money("6")),
            ])
    }

    @Test func mirrorsLinesClosesDebitsAndReopensEverySettledTransactionWhateverItsKind() throws {
        guard case .reverse(let reversal) = ReversalPlanner(postingDate: Self.day, mode: .post).plan(Self.facts()) else {
            Issue.record("expected a reversal")
            return
        }
        #expect(reversal.voucherLines.map { "\($0.account.text) \($0.postingType) \($0.amount) \($0.amountAccounting)" }
                == ["1200 customer_reimbursement -30.00 -33.00", "2100 vendor_balance 30.00 33.00"])
        #expect(reversal.closings.map { "\($0.debitTransactionID) \($0.ledgerAccount.text) \($0.amount) \($0.amountAccounting)" }
                == ["21 1200 -35.00 -38.50"])
        #expect(reversal.reopenings.map { "\($0.transactionID) \($0.settledChange) \($0.settledChangeAccounting)" }
                == ["11 20.00 22.00", "12 15.00 16.50", "31 -5.00 -6.00"])
        #expect(reversal.creditTransactionIds == [11, 12])
    }

    @Test func skipReasonsInTheirOrder() {
        let planner = ReversalPlanner(postingDate: Self.day, mode: .post)
        func reason(_ facts: ReimbursementFacts) -> ReversalSkipReason? {
            if case .skip(let skip) = planner.plan(facts) { return skip.reason }
            return nil
        }
        // Reversed and so fully "paid" by its cancellation: already_reversed wins.
        #expect(reason(Self.facts(invoiceSettled: "30", reversed: true)) == .alreadyReversed)
        #expect(reason(Self.facts(invoiceSettled: "0.01")) == .vendorInvoicePaid)
        #expect(reason(Self.facts(invoiceSettled: "30")) == .vendorInvoicePaid)
        #expect(reason(Self.facts(postedOn: LocalDate(year: 2026, month: 12, day: 1)!)) == .invalidData)
        var changed = Self.facts()
        changed.settledTransactions[11]?.settledAmount = money("-5")
        #expect(reason(changed) == .invalidData)
        #expect(reason(Self.facts()) == nil)
    }

    @Test func anApprovalReversesOnlyWhatThePreviewShowed() throws {
        let preview = ReversalPlanner(postingDate: Self.day, mode: .preview).plan(Self.facts())
        guard case .reverse(let shown) = preview else {
            Issue.record("expected a proposal")
            return
        }
        let approval = ReversalPlanner(postingDate: Self.day, mode: .approve)
        #expect(approval.plan(Self.facts(), proposal: ReversalProposal(shown)) == preview)
        var edited = ReversalProposal(shown)
        edited.creditTransactionIds = [11]
        guard case .skip(let skip) = approval.plan(Self.facts(), proposal: edited) else {
            Issue.record("expected changed_since_preview")
            return
        }
        #expect(skip.reason == ReversalSkipReason.changedSincePreview)
        #expect(skip.detail.contains("reopened credits [11] -> [11, 12]"))
    }

    @Test func theTallyWritesTheReverseResultShape() throws {
        var tally = ReversalTally()
        try tally.record(ReversalPlanner(postingDate: Self.day, mode: .post).plan(Self.facts()))
        try tally.record(ReversalPlanner(postingDate: Self.day, mode: .post).plan(Self.facts(invoiceSettled: "1")))
        #expect(tally.resultJSON() == """
            {"reversal": {"reversed": 1, "selected": 2, "skipped": {"already_reversed": 0, "changed_since_preview": 0, \
            "in_payment": 0, "invalid_data": 0, "vendor_invoice_paid": 1}}, "reversals": 1, \
            "totals": {"EUR": {"amount": "30.00", "amount_accounting": "33.00"}}}
            """)
    }
}
