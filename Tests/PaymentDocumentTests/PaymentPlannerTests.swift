import PaymentDocument
import ReimburseEngine
import Testing

/// The pay planner's rules (PRODUCT.md section 9), pure: check order, what is paid and how the
/// voucher balances.
@Suite("Payment planner")
struct PaymentPlannerTests {
    static func invoice(
        amount: String = "120.50", currency: String = "EUR", settled: String = "0", cancelled: Bool = false,
        iban: String? = "FR1420041010050500013M02606", bic: String? = nil, heldBy: Int64? = nil
    ) -> PayableInvoice {
        PayableInvoice(
            id: 7, invoiceNumber: "VI-00000007", vendorAccount: Code("OTV-00000001"), vendorName: "Durand",
            currency: Code(currency), amount: Money(exactly: amount)!, amountAccounting: Money(exactly: amount)!,
            settledAmount: Money(exactly: settled)!, cancelled: cancelled, reimbursementID: 3,
            reimbursementVoucher: "RV-00000003", customerAccount: Code("C1"), customerName: "Müller & Söhne",
            creditorIBAN: iban, creditorBIC: bic, heldByPreview: heldBy)
    }

    static let planner = PaymentPlanner(
        mode: .post, debtorIBAN: "DE89370400440532013000", vendorSummaryAccount: Code("2100"),
        bankLedgerAccount: Code("1910"))
    static let approver = PaymentPlanner(
        mode: .approve, debtorIBAN: "DE89370400440532013000", vendorSummaryAccount: Code("2100"),
        bankLedgerAccount: Code("1910"))

    static func reason(_ plan: PaymentPlan) -> PaymentSkipReason? {
        if case .skip(let skip) = plan { return skip.reason }
        return nil
    }

    @Test func paysInFullWithABalancedVoucher() throws {
        guard case .pay(let payment) = Self.planner.plan(Self.invoice()) else {
            Issue.record("not paid")
            return
        }
        #expect(payment.kind == .sepa)
        #expect(payment.lines.map(\.postingType) == ["vendor_payment", "bank"])
        #expect(payment.lines.map(\.account) == [Code("2100"), Code("1910")])
        #expect(try Money.sum(payment.lines.map(\.amount)) == .zero)
        #expect(try Money.sum(payment.lines.map(\.amountAccounting)) == .zero)
        #expect(payment.remittance == "Reimbursement RV-00000003 customer C1 Müller & Söhne")
    }

    @Test func skipReasonsInTheirOrder() {
        #expect(Self.reason(Self.planner.plan(Self.invoice(iban: nil, heldBy: 9))) == .inPayment)
        #expect(Self.reason(Self.planner.plan(Self.invoice(iban: nil))) == .noBankAccount)
        #expect(Self.reason(Self.planner.plan(Self.invoice(amount: "10.5", currency: "JPY", iban: nil))) == .noBankAccount)
        #expect(Self.reason(Self.planner.plan(Self.invoice(amount: "10.5", currency: "JPY", bic: "PSSTFRPPLIL"))) == .invalidData)
        #expect(Self.reason(Self.planner.plan(Self.invoice(amount: "10.001"))) == .invalidData)
        #expect(Self.reason(Self.planner.plan(Self.invoice(settled: "1"))) == .invalidData)
        // Generic (GBP) without the creditor's BIC; with it, paid.
        #expect(Self.reason(Self.planner.plan(Self.invoice(currency: "GBP"))) == .noBankAccount)
        #expect(Self.reason(Self.planner.plan(Self.invoice(currency: "GBP", bic: "PSSTFRPPLIL"))) == nil)
    }

    @Test func approvalPaysOnlyWhatWasPreviewed() {
        let proposal = PaymentProposal(amount: Money(exactly: "120.50")!, creditorIBAN: "FR1420041010050500013M02606")
        #expect(Self.reason(Self.approver.plan(Self.invoice(), proposal: proposal)) == nil)
        #expect(Self.reason(Self.approver.plan(Self.invoice(), proposal: nil)) == .changedSincePreview)
        #expect(Self.reason(Self.approver.plan(Self.invoice(settled: "120.50"), proposal: proposal)) == .changedSincePreview)
        #expect(Self.reason(Self.approver.plan(Self.invoice(cancelled: true), proposal: proposal)) == .changedSincePreview)
        #expect(Self.reason(Self.approver.plan(Self.invoice(amount: "99"), proposal: proposal)) == .changedSincePreview)
        #expect(Self.reason(Self.approver.plan(Self.invoice(iban: "NL91ABNA0417164300"), proposal: proposal)) == .changedSincePreview)
        #expect(Self.reason(Self.approver.plan(Self.invoice(iban: nil), proposal: proposal)) == .changedSincePreview)
    }

    @Test func resultShape() throws {
        var tally = PaymentTally()
        try tally.record(Self.planner.plan(Self.invoice()))
        try tally.record(Self.planner.plan(Self.invoice(iban: nil)))
        tally.files = 1
        #expect(tally.resultJSON() == """
            {"files": 1, "payment": {"paid": 1, "selected": 2, "skipped": {"changed_since_preview": 0, "in_payment": 0, \
            "invalid_data": 0, "no_bank_account": 1}}, "payments": 1, "totals": {"EUR": {"amount": "120.50", \
            "amount_accounting": "120.50"}}}
            """)
    }
}
