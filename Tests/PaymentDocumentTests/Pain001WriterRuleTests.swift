import PaymentDocument
import ReimburseEngine
import Testing

/// The writer's own rules, without the Python tools.
@Suite("pain.001 writer rules")
struct Pain001WriterRuleTests {
    @Test func amountsWithMoreDecimalsThanTheCurrencyAreRefused() {
        #expect(throws: PaymentDocumentError.self) {
            try Pain001Writer.write(Pain.message("JPY", [Pain.transfer("E1", "10.5", to: Pain.creditorFR)]))
        }
        #expect(throws: PaymentDocumentError.self) {
            try Pain001Writer.write(Pain.message("EUR", [Pain.transfer("E1", "10.001", to: Pain.creditorFR)]))
        }
        #expect(PaymentAmount.problem(Pain.money("1.234"), currency: "KWD") == nil)
        #expect(PaymentAmount.problem(Pain.money("1.2345"), currency: "KWD") != nil)
        #expect(PaymentAmount.problem(Pain.money("1"), currency: "XYZ") != nil, "not an ISO 4217 code")
        #expect(PaymentAmount.problem(Pain.money("1000000000.00"), currency: "EUR", sepa: true) != nil)
        #expect(PaymentAmount.problem(Pain.money("1000000000.00"), currency: "EUR", sepa: false) == nil)
    }

    @Test func minorUnits() {
        #expect(CurrencyMinorUnits.of("JPY") == 0)
        #expect(CurrencyMinorUnits.of("KWD") == 3)
        #expect(CurrencyMinorUnits.of("EUR") == 2)
        #expect(CurrencyMinorUnits.of("CLF") == 4)
        #expect(CurrencyMinorUnits.of("eur") == nil)
        #expect(PaymentAmount.text(microUnits: 1_234_000, minorUnits: 3) == "1.234")
        #expect(PaymentAmount.text(microUnits: 1_235_000_000, minorUnits: 0) == "1235")
        #expect(PaymentAmount.text(microUnits: 50_000, minorUnits: 2) == "0.05")
    }

    @Test func xmlWriterEscapesEverything() {
        #expect(XMLWriter.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f")
        #expect(XMLWriter.escape("x\u{0}\u{1}\u{8}y\u{FFFE}z") == "xyz", "characters XML 1.0 cannot carry are dropped")
        var xml = XMLWriter()
        xml.element("Nm", "</Nm><Evil/>", attributes: [("Ccy", "\"><x")])
        #expect(xml.document.contains("<Nm Ccy=\"&quot;&gt;&lt;x\">&lt;/Nm&gt;&lt;Evil/&gt;</Nm>"))
    }

    @Test func sepaText() {
        #expect(SEPAText.reduce("  Müller   &  Söhne  ") == "Muller + Sohne")
        #expect(SEPAText.reduce("Straße ÆØÅ æøå") == "Strasse AEOA aeoa")
        #expect(SEPAText.reduce("Ελλάδα") == "......", "other scripts become dots")
        #expect(SEPAText.reduce("a😀b👍🏽c🇫🇮") == "abc", "emoji are dropped")
        #expect(SEPAText.reduce("e\u{301}") == "e", "a combining accent is dropped")
        #expect(SEPAText.isInSet(SEPAText.reduce("Ünïcödé “quotes” — dash_under;semi!")))
        #expect(SEPAText.identifier("//a b//c/") == "a-b/c")
        #expect(SEPAText.identifier(String(repeating: "x", count: 34) + "/y") == String(repeating: "x", count: 34))
        #expect(SEPAText.reduce(String(repeating: "ab ", count: 50), limit: 70).count <= 70)
    }

    @Test func kindOfTransfer() {
        #expect(TransferKind.of(currency: "EUR", debtorIBAN: "DE89370400440532013000", creditorIBAN: "FR14...") == .sepa)
        #expect(TransferKind.of(currency: "EUR", debtorIBAN: "DE89370400440532013000", creditorIBAN: "TR33...") == .generic)
        #expect(TransferKind.of(currency: "CHF", debtorIBAN: "CH93...", creditorIBAN: "CH93...") == .generic)
        #expect(TransferKind.of(currency: "EUR", debtorIBAN: "GB29...", creditorIBAN: "CH93...") == .sepa)
    }

    /// FIPS 180-4 / NIST example vectors.
    @Test func sha256KnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
