public import ReimburseEngine

/// The ISO 20022 customer credit transfer initiation messages Reimburse writes.
public enum PainFormat: String, Sendable, CaseIterable {
    /// pain.001.001.09, the EPC's SEPA format since November 2023 (the default).
    case v09 = "pain.001.001.09"
    /// pain.001.001.03, still accepted by banks while they retire it.
    case v03 = "pain.001.001.03"

    /// The XML namespace of the message's schema.
    public var namespace: String { "urn:iso:std:iso:20022:tech:xsd:\(rawValue)" }
}

/// A party with its bank account: the debtor (the paying company) or a creditor (a vendor).
public struct PaymentParty: Sendable, Hashable {
    /// Name as written by the user; the writer reduces it to the SEPA set and 70 characters.
    public var name: String
    /// IBAN, electronic form (checked when written to the database).
    public var iban: String
    /// BIC (8 or 11 characters), nil when not known.
    public var bic: String?

    public init(name: String, iban: String, bic: String?) {
        self.name = name
        self.iban = iban
        self.bic = bic
    }
}

/// One credit transfer: one vendor invoice paid in full.
public struct CreditTransfer: Sendable, Hashable {
    /// Unique per transfer; made an identifier by ``SEPAText/identifier(_:)``.
    public var endToEndID: String
    /// Positive, with no more decimals than the currency's minor units.
    public var amount: Money
    public var creditor: PaymentParty
    /// Unstructured remittance text; reduced to the SEPA set and 140 characters.
    public var remittance: String
    /// The requested execution date.
    public var executionDate: LocalDate

    public init(endToEndID: String, amount: Money, creditor: PaymentParty, remittance: String, executionDate: LocalDate) {
        self.endToEndID = endToEndID
        self.amount = amount
        self.creditor = creditor
        self.remittance = remittance
        self.executionDate = executionDate
    }
}

/// Everything one document holds: one currency's transfers of one run.
public struct PaymentMessage: Sendable {
    /// Unique per document (ISO: per initiating party); made an identifier (≤ 35 characters).
    public var messageID: String
    /// Creation time, ISO 8601 local date-time without zone (`2026-11-30T09:15:00`).
    public var createdAt: String
    public var format: PainFormat
    /// ISO 4217 code of every transfer.
    public var currency: String
    /// The paying company and its account.
    public var debtor: PaymentParty
    public var transfers: [CreditTransfer]

    public init(
        messageID: String, createdAt: String, format: PainFormat, currency: String, debtor: PaymentParty,
        transfers: [CreditTransfer]
    ) {
        self.messageID = messageID
        self.createdAt = createdAt
        self.format = format
        self.currency = currency
        self.debtor = debtor
        self.transfers = transfers
    }
}

/// A written document and the figures a `payment_file` row keeps of it.
public struct PaymentDocument: Sendable {
    /// The XML text (UTF-8).
    public var text: String
    /// The message id as written.
    public var messageID: String
    /// Number of transfers (`GrpHdr/NbOfTxs`).
    public var transactions: Int
    /// Sum of the amounts (`GrpHdr/CtrlSum`), exact.
    public var controlSum: Money
    /// SHA-256 of `text`'s UTF-8 bytes, 64 hexadecimal digits.
    public var sha256: String
}

/// Why a document cannot be written. Each names the transfer or the setting.
public struct PaymentDocumentError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The kind of transfer of a payment information block.
public enum TransferKind: String, Sendable, Comparable {
    /// SEPA credit transfer: EUR, both IBANs in the SEPA zone; service level SEPA, charges SLEV.
    case sepa
    /// Any other credit transfer: no service level, charges shared (SHAR).
    case generic

    /// SEPA blocks come first in a document.
    public static func < (lhs: TransferKind, rhs: TransferKind) -> Bool { lhs == .sepa && rhs == .generic }

    /// The kind of a transfer of `currency` from `debtorIBAN` to `creditorIBAN`.
    public static func of(currency: String, debtorIBAN: String, creditorIBAN: String) -> TransferKind {
        currency == "EUR" && SEPAZone.contains(iban: debtorIBAN) && SEPAZone.contains(iban: creditorIBAN)
            ? .sepa : .generic
    }
}
