import PaymentDocument
import ReimburseEngine
import ReimburseTestSupport
import Testing

/// Documents written by ``Pain001Writer`` checked by independent tools: the ISO 20022 schema
/// (XSD shipped in PyPI sepaxml, loaded by xmlschema), schwifty for IBANs and BICs, Python's
/// Decimal for counts and sums, hashlib for the fingerprint (issue 17, "Done when").
@Suite("pain.001 documents pass the independent checks")
struct Pain001ValidationTests {
    /// Everything every document must satisfy; returns the check for further assertions.
    @discardableResult
    func expectValid(_ document: PaymentDocument, format: PainFormat = .v09) throws -> PaymentDocumentCheck {
        let check = try PaymentDocumentCheck.run(document.text)
        #expect(check.format == format.rawValue)
        #expect(check.schema_errors.isEmpty, "schema errors: \(check.schema_errors)")
        #expect(check.group.transactions == check.counted.transactions)
        #expect(check.group.transactions == document.transactions)
        #expect(check.bad_identifiers.isEmpty, "identifiers breaking the rules: \(check.bad_identifiers)")
        #expect(check.outside_sepa_set.isEmpty, "text outside the SEPA set: \(check.outside_sepa_set)")
        #expect(check.ibans.values.allSatisfy { $0 }, "IBANs schwifty refuses: \(check.ibans)")
        #expect(check.bics.values.allSatisfy { $0 }, "BICs schwifty refuses: \(check.bics)")
        #expect(check.sha256 == document.sha256, "sha256 differs from hashlib's")
        for block in check.blocks {
            #expect(block.transactions == block.counted_transactions, "block \(block.id) count")
            #expect(Money(exactly: block.control_sum) == Money(exactly: block.counted_sum), "block \(block.id) sum")
        }
        #expect(Money(exactly: check.group.control_sum) == Money(exactly: check.counted.control_sum))
        #expect(Money(exactly: check.group.control_sum) == document.controlSum)
        return check
    }

    @Test func eurSEPARun() throws {
        let document = try Pain001Writer.write(Pain.message("EUR", [
            Pain.transfer("PV-00000001", "120.50", to: Pain.creditorFR),
            Pain.transfer("PV-00000002", "0.01", to: Pain.creditorNL),
        ]))
        let check = try expectValid(document)
        #expect(check.blocks.count == 1)
        #expect(check.blocks.first?.kind == "sepa")
        #expect(check.blocks.first?.charges == "SLEV")
        #expect(check.group.control_sum == "120.51")
        #expect(check.amounts == [["EUR", "120.50"], ["EUR", "0.01"]])
        #expect(document.text.contains("<BICFI>COBADEFFXXX</BICFI>"))
    }

    @Test func gbpGenericRun() throws {
        let document = try Pain001Writer.write(Pain.message("GBP", [
            Pain.transfer("PV-00000003", "75.00", to: Pain.creditorGB),
        ], debtor: Pain.debtorGB, id: "R43-GBP-UK01"))
        let check = try expectValid(document)
        #expect(check.blocks.map(\.kind) == ["generic"])
        #expect(check.blocks.first?.charges == "SHAR")
        #expect(!document.text.contains("<SvcLvl>"))
        #expect(check.amounts == [["GBP", "75.00"]])
    }

    @Test func jpyRunHasNoDecimals() throws {
        let document = try Pain001Writer.write(Pain.message("JPY", [
            Pain.transfer("PV-00000004", "1235", to: Pain.creditorFR),
            Pain.transfer("PV-00000005", "100000", to: Pain.creditorNL),
        ], id: "R44-JPY-USMF"))
        let check = try expectValid(document)
        #expect(check.amounts == [["JPY", "1235"], ["JPY", "100000"]])
        #expect(check.group.control_sum == "101235")
        #expect(check.blocks.map(\.kind) == ["generic"], "only EUR is SEPA")
    }

    @Test func kwdHasThreeDecimals() throws {
        let document = try Pain001Writer.write(Pain.message("KWD", [
            Pain.transfer("PV-00000006", "1.234", to: Pain.creditorGB),
        ], id: "R45-KWD"))
        let check = try expectValid(document)
        #expect(check.amounts == [["KWD", "1.234"]])
    }

    @Test func format03Company() throws {
        let document = try Pain001Writer.write(Pain.message("EUR", [
            Pain.transfer("PV-00000007", "10.00", to: Pain.creditorFR),
            Pain.transfer("PV-00000008", "20.00", to: Pain.creditorNL),
        ], debtor: Pain.debtorNoBIC, format: .v03))
        try expectValid(document, format: .v03)
        #expect(document.text.contains("urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"))
        #expect(document.text.contains("<BIC>PSSTFRPPLIL</BIC>"))
        #expect(document.text.contains("<Id>NOTPROVIDED</Id>"), "IBAN-only debtor agent")
    }

    @Test func hostileNamesStayValidXMLInsideTheSEPASet() throws {
        let hostile = PaymentParty(name: "Müller & Söhne <GmbH> \"Zürich\" 'Ölmühle' 😀🇩🇪 </Nm><Nm>x]]>",
                                   iban: "FR1420041010050500013M02606", bic: nil)
        let document = try Pain001Writer.write(Pain.message("EUR", [
            Pain.transfer("PV-//0009/", "5.00", to: hostile,
                          remittance: "Reimbursement RV-1 customer Ærøskøbing Łódź & Co; ß <script>alert(1)</script> 🎉"
                              + String(repeating: " long", count: 40)),
        ]))
        let check = try expectValid(document)
        let name = try #require(check.names.first ?? nil)
        #expect(name.hasPrefix("Muller + Sohne (GmbH) 'Zurich' 'Olmuhle'"), "name: \(name)")
        #expect(name.count <= 70)
        let remittance = try #require(check.remittances.first ?? nil)
        #expect(remittance.hasPrefix("Reimbursement RV-1 customer AEroskobing Lodz + Co, ss (script)alert(1)(/script)"),
                "remittance: \(remittance)")
        #expect(remittance.count <= 140)
        #expect(!document.text.contains("<script>"))
    }

    @Test func blocksPerExecutionDateAndKind() throws {
        let later = LocalDate(year: 2026, month: 12, day: 1)!
        let document = try Pain001Writer.write(Pain.message("EUR", [
            Pain.transfer("E1", "1.00", to: Pain.creditorFR),
            Pain.transfer("E2", "2.00", to: Pain.creditorTR),
            Pain.transfer("E3", "3.00", to: Pain.creditorNL, on: later),
            Pain.transfer("E4", "4.00", to: Pain.creditorFR),
        ]))
        let check = try expectValid(document)
        #expect(check.blocks.map(\.kind) == ["sepa", "generic", "sepa"])
        #expect(check.blocks.map(\.date) == ["2026-11-30", "2026-11-30", "2026-12-01"])
        #expect(check.blocks.map(\.transactions) == [2, 1, 1])
        #expect(check.blocks.map(\.control_sum) == ["5.00", "2.00", "3.00"])
        #expect(check.group.control_sum == "10.00")
    }

    @Test func longIdentifiersAreCutTo35() throws {
        let document = try Pain001Writer.write(Pain.message("EUR", [
            Pain.transfer("PAYMENT-VOUCHER-PREFIX-2026/000000000000000000001", "1.00", to: Pain.creditorFR),
        ], id: "R9223372036854775807-EUR-A_VERY_LONG_COMPANY"))
        try expectValid(document)
        #expect(document.messageID.count <= 35)
    }
}
