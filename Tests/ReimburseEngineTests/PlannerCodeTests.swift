import ReimburseEngine
import Testing

/// Issue 11, kind 1: codes are compared as PostgreSQL compares them, byte for byte. "CAF\u{C9}"
/// (NFC) and "CAFE\u{301}" (NFD) are one Swift `String` but two keys in the database.
@Suite("Codes are byte-exact: Unicode-equal but byte-distinct codes are never merged")
struct PlannerCodeTests {
    static let nfc = "1200-\u{C9}"
    static let nfd = "1200-E\u{301}"

    @Test func unicodeEqualTextsAreTwoCodes() {
        #expect(Self.nfc == Self.nfd)  // what Swift's String says, and why Code exists
        let nfc = Code(Self.nfc)
        let nfd = Code(Self.nfd)
        #expect(nfc != nfd)
        #expect(Set([nfc, nfd]).count == 2)
        #expect([nfc: 1, nfd: 2].count == 2)
        // Byte order, PostgreSQL's COLLATE "C": 0x45 ('E') sorts before 0xC3 (the first byte of É).
        #expect(nfd < nfc && !(nfc < nfd))
        #expect(Code("CAF\u{C9}") != Code("CAFE\u{301}"))
    }

    /// Two credits of one customer on ledger accounts U&'1200-\00C9' and U&'1200-E\0301':
    /// two debits and two debit lines, never one.
    @Test func twoLedgerAccountsThatLookTheSameAreTwoDebits() throws {
        let customer = Fixture.customer([
            Fixture.credit(1, "100.00", ledger: Code(Self.nfc)),
            Fixture.credit(2, "40.00", ledger: Code(Self.nfd)),
        ])
        let plan = try Fixture.planner().plan(customer)
        let reimbursement = try #require(plan.reimbursements.first)
        #expect(plan.reimbursements.count == 1)
        #expect(reimbursement.amount == money("140.00"))
        #expect(reimbursement.debits.map(\.ledgerAccount) == [Code(Self.nfd), Code(Self.nfc)])
        #expect(reimbursement.debits.map(\.amount) == [money("40.00"), money("100.00")])
        let debitLines = reimbursement.voucherLines.filter { $0.postingType == .customerReimbursement }
        #expect(debitLines.map(\.account) == [Code(Self.nfd), Code(Self.nfc)])
        #expect(debitLines.map { $0.account.text.utf8.count } == [8, 7])

        let perLedger = try Fixture.planner(summarize: false).plan(customer)
        #expect(perLedger.reimbursements.count == 2)
    }

    /// Approval matches proposals by currency and credits by id; a selection matches accounts
    /// and groups by bytes.
    @Test func selectionMatchesBytes() {
        let selection = CustomerSelection(accounts: [Code("CAF\u{C9}")], groups: [Code("GRP-\u{C9}")])
        #expect(selection.matches(account: Code("CAF\u{C9}"), group: nil))
        #expect(!selection.matches(account: Code("CAFE\u{301}"), group: nil))
        #expect(!selection.matches(account: "X", group: Code("GRP-E\u{301}")))
        #expect(selection.matches(account: "X", group: Code("GRP-\u{C9}")))
    }

    /// Job totals per currency keep byte-distinct codes apart (the database's currency domain
    /// is ASCII, but the engine does not rely on it).
    @Test func totalsKeepByteDistinctCurrenciesApart() throws {
        var tally = JobTally()
        for (id, currency) in [(Int64(1), Code("X\u{C9}")), (2, Code("XE\u{301}"))] {
            let customer = Fixture.customer([Fixture.credit(id, "10.00", currency: currency)])
            try tally.record(try Fixture.planner().plan(customer))
        }
        #expect(tally.totals.count == 2)
        #expect(tally.resultJSON().contains("\"XE\u{301}\": {\"amount\": \"10.00\""))
    }
}
