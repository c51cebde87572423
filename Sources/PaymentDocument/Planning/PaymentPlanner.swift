public import ReimburseEngine

/// Decides, per vendor invoice, whether a pay job pays it and what the payment posts: the rules
/// of PRODUCT.md section 9, pure (no I/O), like ``ReimbursementPlanner`` for section 1.
///
/// Checks, in this order (the first that applies decides the skip reason):
/// 1. approve mode: the invoice is paid or cancelled, its amount differs from the preview's, or
///    its vendor's IBAN is not the one previewed: `changed_since_preview`;
/// 2. another run's unfinished preview holds it: `in_payment`;
/// 3. its vendor has no bank account: `no_bank_account`;
/// 4. its amount cannot be written in a payment document without rounding (more decimals than
///    the currency's ISO 4217 minor units, not an ISO 4217 currency, more than 18 digits, above
///    the SEPA maximum for a SEPA transfer): `invalid_data`;
/// 5. a generic (non-SEPA) transfer whose creditor has no BIC: `no_bank_account` (outside
///    SEPA a bank routes by BIC).
/// Otherwise the invoice is paid in full: its open amount is its whole amount (the selection
/// takes only unpaid invoices; one partly paid elsewhere is `invalid_data`).
public struct PaymentPlanner: Sendable {
    public let mode: JobMode
    /// The company's paying IBAN (decides SEPA or generic).
    public let debtorIBAN: String
    public let vendorSummaryAccount: Code
    public let bankLedgerAccount: Code

    public init(mode: JobMode, debtorIBAN: String, vendorSummaryAccount: Code, bankLedgerAccount: Code) {
        self.mode = mode
        self.debtorIBAN = debtorIBAN
        self.vendorSummaryAccount = vendorSummaryAccount
        self.bankLedgerAccount = bankLedgerAccount
    }

    public func plan(_ invoice: PayableInvoice, proposal: PaymentProposal? = nil) -> PaymentPlan {
        func skip(_ reason: PaymentSkipReason, _ why: String) -> PaymentPlan {
            .skip(PlannedPaymentSkip(
                invoice: invoice, reason: reason,
                detail: "vendor invoice \(invoice.invoiceNumber) (\(invoice.amount) \(invoice.currency.text), vendor \(invoice.vendorAccount.text)): \(why)"))
        }
        if mode == .approve {
            guard let proposal else { return skip(.changedSincePreview, "it was not in the approved preview") }
            if invoice.cancelled { return skip(.changedSincePreview, "cancelled (reversed) since the preview") }
            if !invoice.settledAmount.isZero {
                return skip(.changedSincePreview, "paid (\(invoice.settledAmount)) since the preview")
            }
            if invoice.amount != proposal.amount {
                return skip(.changedSincePreview, "its amount was \(proposal.amount) in the preview")
            }
            if invoice.creditorIBAN != proposal.creditorIBAN {
                return skip(
                    .changedSincePreview,
                    "the vendor's bank account changed since the preview (previewed IBAN \(masked(proposal.creditorIBAN)), "
                        + "now \(invoice.creditorIBAN.map(masked) ?? "none")): pay it in a new run after checking the change")
            }
            if invoice.creditorBIC != proposal.creditorBIC {
                return skip(
                    .changedSincePreview,
                    "the vendor's bank (BIC) changed since the preview (previewed \(proposal.creditorBIC ?? "none"), "
                        + "now \(invoice.creditorBIC ?? "none")): pay it in a new run after checking the change")
            }
        }
        if let holder = invoice.heldByPreview {
            return skip(.inPayment, "held by pay preview job \(holder) until it is approved or cancel_requested is set on it")
        }
        if invoice.cancelled || !invoice.settledAmount.isZero {
            return skip(.invalidData, "it is no longer open (settled \(invoice.settledAmount) of \(invoice.amount))")
        }
        guard let iban = invoice.creditorIBAN else {
            return skip(.noBankAccount, "vendor \(invoice.vendorAccount.text) has no bank account (vendor_bank_account)")
        }
        let kind = TransferKind.of(currency: invoice.currency.text, debtorIBAN: debtorIBAN, creditorIBAN: iban)
        if let problem = PaymentAmount.problem(invoice.amount, currency: invoice.currency.text, sepa: kind == .sepa) {
            return skip(.invalidData, problem)
        }
        if kind == .generic && invoice.creditorBIC == nil {
            return skip(
                .noBankAccount,
                "a \(invoice.currency.text) transfer to \(String(iban.prefix(2))) is not a SEPA transfer and needs the "
                    + "creditor's BIC, which vendor_bank_account does not have")
        }
        var remittance = "Reimbursement \(invoice.reimbursementVoucher) customer \(invoice.customerAccount.text)"
        if let name = invoice.customerName, !name.isEmpty { remittance += " \(name)" }
        return .pay(PlannedPayment(
            invoice: invoice, kind: kind, creditorIBAN: iban, creditorBIC: invoice.creditorBIC, remittance: remittance,
            lines: [
                PaymentLedgerLine(
                    account: vendorSummaryAccount, postingType: "vendor_payment", amount: invoice.amount,
                    amountAccounting: invoice.amountAccounting),
                PaymentLedgerLine(
                    account: bankLedgerAccount, postingType: "bank", amount: -invoice.amount,
                    amountAccounting: -invoice.amountAccounting),
            ]))
    }

    /// An IBAN shown in a skip's detail: country, check digits and the last four characters.
    func masked(_ iban: String) -> String {
        iban.count > 8 ? "\(iban.prefix(4))...\(iban.suffix(4))" : iban
    }
}
