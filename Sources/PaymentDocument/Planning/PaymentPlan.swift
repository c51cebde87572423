public import ReimburseEngine

/// Why a pay job leaves an invoice alone (`reimbursement_skip.reason`).
public enum PaymentSkipReason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The vendor has no bank account, or a generic (non-SEPA) transfer has no creditor BIC.
    case noBankAccount = "no_bank_account"
    /// The amount cannot be paid as it is (more decimals than the currency allows, not an
    /// ISO 4217 currency, too many digits, above the SEPA maximum).
    case invalidData = "invalid_data"
    /// Another pay preview holds the invoice.
    case inPayment = "in_payment"
    /// Approve mode: paid, cancelled, changed in amount or creditor account since the preview.
    case changedSincePreview = "changed_since_preview"

    public static func < (lhs: PaymentSkipReason, rhs: PaymentSkipReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One invoice paid in full.
public struct PlannedPayment: Sendable, Hashable {
    public var invoice: PayableInvoice
    public var kind: TransferKind
    public var creditorIBAN: String
    public var creditorBIC: String?
    /// Remittance text: the reimbursement's voucher and the customer.
    public var remittance: String
    /// Voucher lines: debit `vendor_summary_account` (`vendor_payment`), credit
    /// `bank_ledger_account` (`bank`), the invoice's amounts.
    public var lines: [PaymentLedgerLine]
}

/// One invoice left alone, with a reason and a sentence for a person.
public struct PlannedPaymentSkip: Sendable, Hashable {
    public var invoice: PayableInvoice
    public var reason: PaymentSkipReason
    public var detail: String

    public init(invoice: PayableInvoice, reason: PaymentSkipReason, detail: String) {
        self.invoice = invoice
        self.reason = reason
        self.detail = detail
    }
}

/// What a pay job does with one invoice.
public enum PaymentPlan: Sendable, Hashable {
    case pay(PlannedPayment)
    case skip(PlannedPaymentSkip)
}

/// One line of a payment voucher (`ledger_entry`), in the invoice's currency.
public struct PaymentLedgerLine: Sendable, Hashable {
    public var account: Code
    /// `vendor_payment` (the debit clearing the payable) or `bank` (the credit to the bank account).
    public var postingType: String
    /// Debit positive, credit negative.
    public var amount: Money
    public var amountAccounting: Money
}
