public import ReimburseEngine

/// Writes one ISO 20022 customer credit transfer initiation (pain.001.001.09 or .03) for one
/// currency's transfers. Pure: the same message gives the same bytes.
///
/// Shape: a group header (`MsgId`, `CreDtTm`, exact `NbOfTxs` and `CtrlSum`, the company as
/// initiating party), then one payment information block (`PmtInf`) per execution date and
/// kind of transfer (SEPA before generic, earlier dates first), each with its own count and
/// sum, the company's account as debtor, and one `CdtTrfTxInf` per transfer in the given order.
/// SEPA blocks carry service level `SEPA` and charge bearer `SLEV`; generic blocks carry
/// charge bearer `SHAR` and no service level. All names and texts are reduced to the SEPA Latin
/// set (``SEPAText``) for both kinds (every bank accepts that set), names cut to 70 characters
/// (`Max70Text`), remittance to 140 (`Max140Text`); identifiers to 35 (`Max35Text`, EPC rules
/// for `/`). Amounts carry exactly the currency's ISO 4217 minor units.
/// A debtor agent without a BIC is written `Othr/Id = NOTPROVIDED` (EPC IBAN-only rule); a
/// creditor agent without a BIC is left out (allowed for SEPA; the payment run gives generic
/// transfers to creditors without a BIC no document: it skips them `no_bank_account`).
public enum Pain001Writer {
    /// The document of `message`. Throws when a transfer's amount cannot be written in the
    /// currency without rounding, or when there is nothing to write.
    public static func write(_ message: PaymentMessage) throws(PaymentDocumentError) -> PaymentDocument {
        guard !message.transfers.isEmpty else {
            throw PaymentDocumentError("payment document \(message.messageID): no transfer to write")
        }
        guard let minor = CurrencyMinorUnits.of(message.currency) else {
            throw PaymentDocumentError("currency \(message.currency) is not an active ISO 4217 currency")
        }
        let messageID = SEPAText.identifier(message.messageID)
        guard !messageID.isEmpty else { throw PaymentDocumentError("message id \(message.messageID) is empty as an identifier") }
        var blocks: [BlockKey: [CreditTransfer]] = [:]
        var total: Int128 = 0
        for transfer in message.transfers {
            let kind = TransferKind.of(currency: message.currency, debtorIBAN: message.debtor.iban, creditorIBAN: transfer.creditor.iban)
            if let problem = PaymentAmount.problem(transfer.amount, currency: message.currency, sepa: kind == .sepa) {
                throw PaymentDocumentError("transfer \(transfer.endToEndID): \(problem)")
            }
            blocks[BlockKey(date: transfer.executionDate, kind: kind), default: []].append(transfer)
            total += transfer.amount.microUnits
        }
        guard let controlSum = Money(microUnits: total), PaymentAmount.problem(controlSum, currency: message.currency) == nil else {
            throw PaymentDocumentError(
                "payment document \(messageID): the control sum has more than the 18 digits ISO 20022 allows; pay in several runs")
        }
        var xml = XMLWriter()
        let v09 = message.format == .v09
        xml.start("Document", attributes: [("xmlns", message.format.namespace)])
        xml.start("CstmrCdtTrfInitn")
        xml.start("GrpHdr")
        xml.element("MsgId", messageID)
        xml.element("CreDtTm", message.createdAt)
        xml.element("NbOfTxs", String(message.transfers.count))
        xml.element("CtrlSum", PaymentAmount.text(microUnits: total, minorUnits: minor))
        xml.start("InitgPty")
        xml.element("Nm", name(message.debtor.name))
        xml.end()
        xml.end()
        for (index, key) in blocks.keys.sorted().enumerated() {
            let transfers = blocks[key] ?? []
            xml.start("PmtInf")
            xml.element("PmtInfId", SEPAText.identifier("\(messageID.prefix(30))-\(index + 1)"))
            xml.element("PmtMtd", "TRF")
            xml.element("NbOfTxs", String(transfers.count))
            xml.element("CtrlSum", PaymentAmount.text(microUnits: transfers.reduce(0) { $0 + $1.amount.microUnits }, minorUnits: minor))
            if key.kind == .sepa {
                xml.start("PmtTpInf")
                xml.start("SvcLvl")
                xml.element("Cd", "SEPA")
                xml.end()
                xml.end()
            }
            if v09 {
                xml.start("ReqdExctnDt")
                xml.element("Dt", key.date.description)
                xml.end()
            } else {
                xml.element("ReqdExctnDt", key.date.description)
            }
            xml.start("Dbtr")
            xml.element("Nm", name(message.debtor.name))
            xml.end()
            account(&xml, "DbtrAcct", message.debtor.iban)
            agent(&xml, "DbtrAgt", bic: message.debtor.bic, v09: v09, required: true)
            xml.element("ChrgBr", key.kind == .sepa ? "SLEV" : "SHAR")
            for transfer in transfers {
                xml.start("CdtTrfTxInf")
                xml.start("PmtId")
                xml.element("EndToEndId", SEPAText.identifier(transfer.endToEndID))
                xml.end()
                xml.start("Amt")
                xml.element("InstdAmt", PaymentAmount.text(microUnits: transfer.amount.microUnits, minorUnits: minor),
                            attributes: [("Ccy", message.currency)])
                xml.end()
                agent(&xml, "CdtrAgt", bic: transfer.creditor.bic, v09: v09, required: false)
                xml.start("Cdtr")
                xml.element("Nm", name(transfer.creditor.name))
                xml.end()
                account(&xml, "CdtrAcct", transfer.creditor.iban)
                let remittance = SEPAText.reduce(transfer.remittance, limit: 140)
                if !remittance.isEmpty {
                    xml.start("RmtInf")
                    xml.element("Ustrd", remittance)
                    xml.end()
                }
                xml.end()
            }
            xml.end()
        }
        xml.end()
        xml.end()
        let text = xml.document
        return PaymentDocument(
            text: text, messageID: messageID, transactions: message.transfers.count, controlSum: controlSum,
            sha256: SHA256.hex(text))
    }

    /// A name reduced to the SEPA set and 70 characters; `NOTPROVIDED` when nothing is left
    /// (a name is mandatory for SEPA).
    static func name(_ text: String) -> String {
        let reduced = SEPAText.reduce(text, limit: 70)
        return reduced.isEmpty ? "NOTPROVIDED" : reduced
    }

    private static func account(_ xml: inout XMLWriter, _ element: String, _ iban: String) {
        xml.start(element)
        xml.start("Id")
        xml.element("IBAN", iban)
        xml.end()
        xml.end()
    }

    private static func agent(_ xml: inout XMLWriter, _ element: String, bic: String?, v09: Bool, required: Bool) {
        guard bic != nil || required else { return }
        xml.start(element)
        xml.start("FinInstnId")
        if let bic {
            xml.element(v09 ? "BICFI" : "BIC", bic)
        } else {
            xml.start("Othr")
            xml.element("Id", "NOTPROVIDED")
            xml.end()
        }
        xml.end()
        xml.end()
    }

    struct BlockKey: Hashable, Comparable {
        var date: LocalDate
        var kind: TransferKind

        static func < (lhs: BlockKey, rhs: BlockKey) -> Bool {
            (lhs.date, lhs.kind) < (rhs.date, rhs.kind)
        }
    }
}
