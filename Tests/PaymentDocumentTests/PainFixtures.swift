import PaymentDocument
import ReimburseEngine

/// Parties and transfers of the document tests. IBANs and BICs are real-shaped examples with
/// valid check digits (schwifty agrees, see ``PaymentDocumentCheck``).
enum Pain {
    static let debtorDE = PaymentParty(name: "Contoso Europe GmbH", iban: "DE89370400440532013000", bic: "COBADEFFXXX")
    static let debtorGB = PaymentParty(name: "Contoso UK Ltd", iban: "GB29NWBK60161331926819", bic: "NWBKGB2L")
    static let debtorNoBIC = PaymentParty(name: "Contoso Europe GmbH", iban: "DE89370400440532013000", bic: nil)
    static let creditorFR = PaymentParty(name: "Durand SARL", iban: "FR1420041010050500013M02606", bic: "PSSTFRPPLIL")
    static let creditorNL = PaymentParty(name: "de Vries BV", iban: "NL91ABNA0417164300", bic: nil)
    static let creditorGB = PaymentParty(name: "Smith & Sons", iban: "GB82WEST12345698765432", bic: "NWBKGB2L")
    static let creditorTR = PaymentParty(name: "Yilmaz AS", iban: "TR330006100519786457841326", bic: "AKBKTRIS")
    static let date = LocalDate(year: 2026, month: 11, day: 30)!

    static func money(_ text: String) -> Money { Money(exactly: text)! }

    static func transfer(
        _ id: String, _ amount: String, to creditor: PaymentParty, on date: LocalDate = Pain.date,
        remittance: String = "Reimbursement RV-00000001 customer C1"
    ) -> CreditTransfer {
        CreditTransfer(endToEndID: id, amount: money(amount), creditor: creditor, remittance: remittance, executionDate: date)
    }

    static func message(
        _ currency: String, _ transfers: [CreditTransfer], debtor: PaymentParty = Pain.debtorDE,
        format: PainFormat = .v09, id: String = "R42-EUR-USMF"
    ) -> PaymentMessage {
        PaymentMessage(
            messageID: id, createdAt: "2026-11-30T09:15:00", format: format, currency: currency, debtor: debtor,
            transfers: transfers)
    }
}
