import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Every rule of PRODUCT.md §1 through the database: fixtures inserted as a user would, a job
/// enqueued by INSERT, run by the library entry point, and the rows read back.
@Suite("Rules end to end")
struct RuleTests {
    static let skipColumns = "customer_account, currency, reason, credit_balance, credit_balance_accounting"

    static func skips(_ job: Int64, on connection: PostgresConnection) throws -> [String] {
        try Store.rows(
            "SELECT \(skipColumns) FROM reimbursement_skip WHERE job_id = $1 ORDER BY customer_account, currency NULLS FIRST",
            job, on: connection)
    }

    static func reimbursements(_ job: Int64, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT customer_account, vendor_account, one_time_vendor_created, currency, amount, amount_accounting
              FROM reimbursement WHERE job_id = $1 ORDER BY customer_account, currency, voucher
            """, job, on: connection)
    }

    @Test func customerWideReasonsInTheirOrder() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("RULE", minimum: "10", on: connection)
            // on_hold wins over everything after it.
            try LedgerFixture.customer("RULE", "A-HOLD", onHold: true, on: connection)
            try LedgerFixture.transaction("RULE", "A-HOLD", amount: "-50", on: connection)
            try LedgerFixture.transaction("RULE", "A-HOLD", amount: "-5", marked: true, on: connection)
            try LedgerFixture.transaction("RULE", "A-HOLD", amount: "20", on: connection)
            // pending_settlement: a marked open debit counts too, and wins over open debits.
            try LedgerFixture.customer("RULE", "B-MARK", on: connection)
            try LedgerFixture.transaction("RULE", "B-MARK", amount: "-30", on: connection)
            try LedgerFixture.transaction("RULE", "B-MARK", amount: "10", marked: true, on: connection)
            // A marked transaction that is fully settled is not open and does not count.
            try LedgerFixture.customer("RULE", "C-OLDMARK", on: connection)
            try LedgerFixture.transaction("RULE", "C-OLDMARK", amount: "-30", on: connection)
            try LedgerFixture.transaction(
                "RULE", "C-OLDMARK", amount: "-8", settled: "-8", marked: true, on: connection)
            // open_debits: a debit in another currency counts; a settled debit does not.
            try LedgerFixture.customer("RULE", "D-DEBIT", on: connection)
            try LedgerFixture.transaction("RULE", "D-DEBIT", amount: "-40", on: connection)
            try LedgerFixture.transaction(
                "RULE", "D-DEBIT", amount: "0.01", accounting: "0.02", currency: "EUR", on: connection)
            try LedgerFixture.customer("RULE", "E-PAIDDEBIT", on: connection)
            try LedgerFixture.transaction("RULE", "E-PAIDDEBIT", amount: "-40", on: connection)
            try LedgerFixture.transaction("RULE", "E-PAIDDEBIT", amount: "15", settled: "15", on: connection)
            // No open credit: only counted, whatever else is true (on hold, marked, debits).
            try LedgerFixture.customer("RULE", "F-NOCREDIT", onHold: true, on: connection)
            try LedgerFixture.transaction("RULE", "F-NOCREDIT", amount: "99", marked: true, on: connection)
            try LedgerFixture.transaction("RULE", "F-NOCREDIT", amount: "-12", settled: "-12", on: connection)
            try LedgerFixture.customer("RULE", "G-EMPTY", on: connection)

            let job = try LedgerFixture.job("RULE", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.skips(job, on: connection) == [
                "A-HOLD|NULL|on_hold|NULL|55.000000",
                "B-MARK|NULL|pending_settlement|NULL|30.000000",
                "D-DEBIT|NULL|open_debits|NULL|40.000000",
            ])
            #expect(try Self.reimbursements(job, on: connection) == [
                "C-OLDMARK|OTV-00000001|t|USD|30.000000|30.000000",
                "E-PAIDDEBIT|OTV-00000002|t|USD|40.000000|40.000000",
            ])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 7)
            #expect(result.reimbursed == 2)
            #expect(result.noCreditBalance == 2)
            #expect(result.skipped("on_hold") == 1)
            #expect(result.skipped("pending_settlement") == 1)
            #expect(result.skipped("open_debits") == 1)
            // Skipped customers' credits are untouched.
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction
                 WHERE customer_account IN ('A-HOLD', 'B-MARK', 'D-DEBIT') AND settled_amount <> 0
                """, on: connection) == 0)
            try PostingAudit.expectConsistent(company: "RULE", on: connection)
        }
    }

    @Test func includeReimbursesCreditsInFullAndLeavesDebitsOpen() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("INCL", minimum: "10", on: connection)
            try LedgerFixture.customer("INCL", "C1", on: connection)
            let credit = try LedgerFixture.transaction("INCL", "C1", amount: "-60", on: connection)
            let debit = try LedgerFixture.transaction("INCL", "C1", amount: "25", settled: "5", on: connection)
            let eurDebit = try LedgerFixture.transaction(
                "INCL", "C1", amount: "7", accounting: "7.70", currency: "EUR", on: connection)
            // pending_settlement still applies with include.
            try LedgerFixture.customer("INCL", "C2", on: connection)
            try LedgerFixture.transaction("INCL", "C2", amount: "-60", on: connection)
            try LedgerFixture.transaction("INCL", "C2", amount: "25", marked: true, on: connection)

            let job = try LedgerFixture.job("INCL", debitHandling: "include", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.reimbursements(job, on: connection) == ["C1|OTV-00000001|t|USD|60.000000|60.000000"])
            #expect(try Store.rows(
                "SELECT id, settled_amount, settled_amount_accounting FROM customer_transaction WHERE id = ANY($1) ORDER BY id",
                [credit, debit, eurDebit], on: connection)
                == ["\(credit)|-60.000000|-60.000000", "\(debit)|5.000000|5.000000", "\(eurDebit)|0.000000|0.000000"])
            // The debits are not settled against anything.
            #expect(try Store.count(
                "SELECT count(*) FROM customer_settlement WHERE credit_transaction_id = ANY($1) OR debit_transaction_id = ANY($1)",
                [debit, eurDebit], on: connection) == 0)
            #expect(try Self.skips(job, on: connection) == ["C2|NULL|pending_settlement|NULL|60.000000"])
            try PostingAudit.expectConsistent(company: "INCL", on: connection)
        }
    }

    @Test func minimumCountsEqualAndIsJudgedInAccountingCurrency() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("MINI", minimum: "10.00", on: connection)
            try LedgerFixture.customer("MINI", "EQUAL", on: connection)
            try LedgerFixture.transaction("MINI", "EQUAL", amount: "-6.00", on: connection)
            try LedgerFixture.transaction("MINI", "EQUAL", amount: "-4.00", ledgerAccount: "1300", on: connection)
            try LedgerFixture.customer("MINI", "CENT-BELOW", on: connection)
            try LedgerFixture.transaction("MINI", "CENT-BELOW", amount: "-9.99", on: connection)
            // A partly settled credit counts with what remains.
            try LedgerFixture.customer("MINI", "PARTLY", on: connection)
            try LedgerFixture.transaction("MINI", "PARTLY", amount: "-30", settled: "-20.01", on: connection)
            // Foreign currencies: a large JPY amount worth little, a small GBP amount worth enough.
            try LedgerFixture.customer("MINI", "FOREIGN", on: connection)
            try LedgerFixture.transaction(
                "MINI", "FOREIGN", amount: "-1000", accounting: "-9.999999", currency: "JPY", on: connection)
            try LedgerFixture.transaction(
                "MINI", "FOREIGN", amount: "-7.50", accounting: "-10.000001", currency: "GBP", on: connection)

            let job = try LedgerFixture.job("MINI", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.reimbursements(job, on: connection) == [
                "EQUAL|OTV-00000001|t|USD|10.000000|10.000000",
                "FOREIGN|OTV-00000002|t|GBP|7.500000|10.000001",
            ])
            #expect(try Self.skips(job, on: connection) == [
                "CENT-BELOW|USD|below_minimum|9.990000|9.990000",
                "FOREIGN|JPY|below_minimum|1000.000000|9.999999",
                "PARTLY|USD|below_minimum|9.990000|9.990000",
            ])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.reimbursed == 2)
            #expect(result.skipped("below_minimum") == 2)
            #expect(result.total("GBP") == Money("7.5"))
            #expect(result.total("GBP", "amount_accounting") == Money("10.000001"))
            try PostingAudit.expectConsistent(company: "MINI", on: connection)
        }
    }

    @Test func vendorNotFoundIsOneCustomerWideRow() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("VNF", minimum: "10", on: connection)
            try LedgerFixture.customer("VNF", "LOST", vendorAccount: "V-GONE", on: connection)
            try LedgerFixture.transaction("VNF", "LOST", amount: "-30", on: connection)
            try LedgerFixture.transaction("VNF", "LOST", amount: "-20", accounting: "-22", currency: "EUR", on: connection)
            // The minimum is judged first: below it in every currency, the vendor is not looked at.
            try LedgerFixture.customer("VNF", "SMALL", vendorAccount: "V-GONE", on: connection)
            try LedgerFixture.transaction("VNF", "SMALL", amount: "-3", on: connection)
            // One currency above, one below: the NULL row carries the whole open credit and the
            // currency below the minimum keeps its own row.
            try LedgerFixture.customer("VNF", "MIXED", vendorAccount: "V-GONE", on: connection)
            try LedgerFixture.transaction("VNF", "MIXED", amount: "-30", on: connection)
            try LedgerFixture.transaction("VNF", "MIXED", amount: "-2", accounting: "-2.5", currency: "EUR", on: connection)
            // A one-time vendor of the customer is not a fallback for a missing own vendor.
            try LedgerFixture.customer("VNF", "HASOTV", vendorAccount: "V-GONE", on: connection)
            try LedgerFixture.vendor("VNF", "OT-HASOTV", oneTimeFor: "HASOTV", on: connection)
            try LedgerFixture.transaction("VNF", "HASOTV", amount: "-30", on: connection)

            let job = try LedgerFixture.job("VNF", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.skips(job, on: connection) == [
                "HASOTV|NULL|vendor_not_found|NULL|30.000000",
                "LOST|NULL|vendor_not_found|NULL|52.000000",
                "MIXED|NULL|vendor_not_found|NULL|32.500000",
                "MIXED|EUR|below_minimum|2.000000|2.500000",
                "SMALL|USD|below_minimum|3.000000|3.000000",
            ])
            #expect(try Store.count("SELECT count(*) FROM reimbursement", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM vendor", on: connection) == 1)
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.skipped("vendor_not_found") == 3)
            #expect(result.skipped("below_minimum") == 1)
            #expect(try Store.rows("SELECT name, next_value FROM number_sequence WHERE company_id = 'VNF' ORDER BY 1",
                                   on: connection)
                == ["one_time_vendor|1", "payment_voucher|1", "reimbursement_voucher|1", "vendor_invoice|1"])
        }
    }

    @Test func vendorResolution() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("VEND", oneTimeGroup: "ONE-TIME", on: connection)
            // Own vendor, even when the customer also has a one-time vendor.
            try LedgerFixture.vendor("VEND", "V-OWN", currency: "EUR", on: connection)
            try LedgerFixture.customer("VEND", "OWN", vendorAccount: "V-OWN", on: connection)
            try LedgerFixture.vendor("VEND", "OT-OWN", oneTimeFor: "OWN", on: connection)
            try LedgerFixture.transaction("VEND", "OWN", amount: "-11", on: connection)
            // Existing one-time vendors: the lowest account is reused.
            try LedgerFixture.customer("VEND", "REUSE", on: connection)
            try LedgerFixture.vendor("VEND", "OT-REUSE-2", oneTimeFor: "REUSE", on: connection)
            try LedgerFixture.vendor("VEND", "OT-REUSE-1", oneTimeFor: "REUSE", on: connection)
            try LedgerFixture.vendor("VEND", "AAA-NOT-ONE-TIME", on: connection)
            try connection.execute("UPDATE vendor SET customer_account = 'REUSE' WHERE account = 'AAA-NOT-ONE-TIME'")
            try LedgerFixture.transaction("VEND", "REUSE", amount: "-12", on: connection)
            // New one-time vendor, shared by both currencies, in the customer's currency.
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, customer_group, currency, address)
                VALUES ('VEND', 'NEW', 'Fabrikam Ltd', 'RETAIL', 'CHF', 'Bahnhofstrasse 1, Zürich')
                """)
            try LedgerFixture.transaction("VEND", "NEW", amount: "-13", on: connection)
            try LedgerFixture.transaction("VEND", "NEW", amount: "-14", accounting: "-15.4", currency: "EUR", on: connection)
            // A one-time vendor of another customer is not reused.
            try LedgerFixture.customer("VEND", "OTHER", on: connection)
            try LedgerFixture.vendor("VEND", "OT-SOMEONE", oneTimeFor: "SOMEONE-ELSE", on: connection)
            try LedgerFixture.transaction("VEND", "OTHER", amount: "-15", on: connection)
            try connection.execute("""
                UPDATE number_sequence SET prefix = 'OT', width = 4, next_value = 41
                 WHERE company_id = 'VEND' AND name = 'one_time_vendor'
                """)

            let job = try LedgerFixture.job("VEND", on: connection)
            try Store.run(job, on: connection)
            #expect(try Self.reimbursements(job, on: connection) == [
                "NEW|OT0041|t|EUR|14.000000|15.400000",
                "NEW|OT0041|t|USD|13.000000|13.000000",
                "OTHER|OT0042|t|USD|15.000000|15.000000",
                "OWN|V-OWN|f|USD|11.000000|11.000000",
                "REUSE|OT-REUSE-1|f|USD|12.000000|12.000000",
            ])
            #expect(try Store.rows("""
                SELECT account, name, vendor_group, currency, address, one_time, customer_account
                  FROM vendor WHERE company_id = 'VEND' AND account LIKE 'OT0%' ORDER BY account
                """, on: connection) == [
                    "OT0041|Fabrikam Ltd|ONE-TIME|CHF|Bahnhofstrasse 1, Zürich|t|NEW",
                    "OT0042|Customer OTHER|ONE-TIME|USD|OTHER Main Street|t|OTHER",
                ])
            #expect(try Store.rows(
                "SELECT next_value FROM number_sequence WHERE company_id = 'VEND' AND name = 'one_time_vendor'",
                on: connection) == ["43"])
            // The invoices go to the resolved vendors, in the reimbursement's currency.
            #expect(try Store.rows("""
                SELECT r.customer_account, i.vendor_account, i.currency FROM vendor_invoice i
                  JOIN reimbursement r ON r.id = i.reimbursement_id ORDER BY 1, 3
                """, on: connection) == [
                    "NEW|OT0041|EUR", "NEW|OT0041|USD", "OTHER|OT0042|USD", "OWN|V-OWN|USD", "REUSE|OT-REUSE-1|USD",
                ])
            try PostingAudit.expectConsistent(company: "VEND", on: connection)

            // The next job reuses the vendor it created; nothing says "created" any more.
            try LedgerFixture.transaction("VEND", "NEW", amount: "-1", on: connection)
            let second = try LedgerFixture.job("VEND", on: connection)
            try Store.run(second, on: connection)
            #expect(try Self.reimbursements(second, on: connection) == ["NEW|OT0041|f|USD|1.000000|1.000000"])
            #expect(try Store.count("SELECT count(*) FROM vendor WHERE one_time AND customer_account = 'NEW'",
                                    on: connection) == 1)
        }
    }

    /// Copying means copying: a customer without name or address gives a one-time vendor
    /// without them, and a company without a one-time vendor group gives no group.
    @Test func aOneTimeVendorCopiesMissingNameAndAddress() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("BARE", on: connection)
            try connection.execute("UPDATE company SET one_time_vendor_group = NULL WHERE id = 'BARE'")
            try connection.execute("INSERT INTO customer (company_id, account, currency) VALUES ('BARE', 'NONAME', 'SEK')")
            try LedgerFixture.transaction("BARE", "NONAME", amount: "-10", on: connection)
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, currency, address) VALUES ('BARE', 'EMPTY', '', 'SEK', '')
                """)
            try LedgerFixture.transaction("BARE", "EMPTY", amount: "-10", on: connection)
            let job = try LedgerFixture.job("BARE", on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("""
                SELECT account, name, vendor_group, currency, address, one_time, customer_account
                  FROM vendor WHERE company_id = 'BARE' ORDER BY account
                """, on: connection) == [
                    "OTV-00000001||NULL|SEK||t|EMPTY",
                    "OTV-00000002|NULL|NULL|SEK|NULL|t|NONAME",
                ])
            try PostingAudit.expectConsistent(company: "BARE", on: connection)
        }
    }

    @Test func summarizeFalsePostsOneReimbursementPerLedgerAccount() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SUMM", minimum: "10", on: connection)
            try LedgerFixture.customer("SUMM", "C1", on: connection)
            // Judged as a whole (6 + 5 >= 10) although each account alone is below the minimum.
            try LedgerFixture.transaction("SUMM", "C1", amount: "-6", ledgerAccount: "1300", on: connection)
            try LedgerFixture.transaction("SUMM", "C1", amount: "-2", ledgerAccount: "1200", on: connection)
            try LedgerFixture.transaction("SUMM", "C1", amount: "-3", ledgerAccount: "1200", on: connection)
            try LedgerFixture.transaction(
                "SUMM", "C1", amount: "-40", accounting: "-44", currency: "EUR", ledgerAccount: "1200", on: connection)

            let job = try LedgerFixture.job("SUMM", summarize: false, on: connection)
            try Store.run(job, on: connection)
            #expect(try Store.rows("""
                SELECT r.currency, r.amount, r.voucher, i.invoice_number,
                       (SELECT string_agg(l.account || ':' || l.amount, ',' ORDER BY l.line) FROM ledger_entry l
                         WHERE l.voucher = r.voucher)
                  FROM reimbursement r JOIN vendor_invoice i ON i.id = r.vendor_invoice_id
                 WHERE r.job_id = $1 ORDER BY r.voucher
                """, job, on: connection) == [
                    "EUR|40.000000|RV-00000001|VI-00000001|1200:40.000000,2100:-40.000000",
                    "USD|5.000000|RV-00000002|VI-00000002|1200:5.000000,2100:-5.000000",
                    "USD|6.000000|RV-00000003|VI-00000003|1300:6.000000,2100:-6.000000",
                ])
            // One vendor for all of them, created once.
            #expect(try Store.rows(
                "SELECT DISTINCT vendor_account, one_time_vendor_created FROM reimbursement", on: connection)
                == ["OTV-00000001|t"])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.reimbursements == 3)
            #expect(result.reimbursed == 1)
            #expect(result.total("USD") == Money("11"))
            try PostingAudit.expectConsistent(company: "SUMM", on: connection)
        }
    }

    /// Selection: either given list matches; both NULL selects everyone; an empty array selects
    /// nothing from its list. Previews are used so that every job sees the same credits.
    @Test func selection() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("SEL", on: connection)
            for (account, group) in [("A1", "G1"), ("A2", "G2"), ("A3", "G3"), ("A4", nil), ("A5", "G1")] {
                try LedgerFixture.customer("SEL", account, group: group, on: connection)
                try LedgerFixture.transaction("SEL", account, amount: "-20", on: connection)
            }
            // The same account in another company is never selected by a job of SEL.
            try LedgerFixture.company("SEL2", on: connection)
            try LedgerFixture.customer("SEL2", "A1", on: connection)
            try LedgerFixture.transaction("SEL2", "A1", amount: "-20", on: connection)
            let cases: [(accounts: [String]?, groups: [String]?, expected: [String])] = [
                (nil, nil, ["A1", "A2", "A3", "A4", "A5"]),
                (["A1"], nil, ["A1"]),
                (nil, ["G1"], ["A1", "A5"]),
                (["A2", "A4"], ["G1"], ["A1", "A2", "A4", "A5"]),
                (["A3"], ["G3"], ["A3"]),
                ([], nil, []),
                (nil, [], []),
                ([], [], []),
                ([], ["G2"], ["A2"]),
                (["A4"], [], ["A4"]),
                (["NOBODY"], ["NOGROUP"], []),
            ]
            for selection in cases {
                let job = try LedgerFixture.job(
                    "SEL", mode: "preview", accounts: selection.accounts, groups: selection.groups, on: connection)
                try Store.run(job, chunkSize: 2, on: connection)
                let label = "accounts \(String(describing: selection.accounts)) groups \(String(describing: selection.groups))"
                #expect(try Store.rows(
                    "SELECT customer_account FROM reimbursement_proposal WHERE job_id = $1 ORDER BY 1", job, on: connection)
                    == selection.expected, "\(label)")
                #expect(try Store.rows(
                    "SELECT customers_total, customers_done, state FROM reimbursement_job WHERE id = $1", job, on: connection)
                    == ["\(selection.expected.count)|\(selection.expected.count)|succeeded"], "\(label)")
                #expect(try Store.result(of: job, on: connection)?.selected == selection.expected.count, "\(label)")
            }
        }
    }
}
