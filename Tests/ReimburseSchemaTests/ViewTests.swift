import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("Views for readers")
struct ViewTests {
    /// PRODUCT.md section 4: the public columns, in order. Extras may only follow them.
    static let contract: [String: [String]] = [
        "reimbursement_report": [
            "company_id", "reimbursement_id", "job_id", "posting_date", "voucher", "customer_account",
            "customer_name", "vendor_account", "vendor_name", "one_time_vendor", "currency", "amount",
            "amount_accounting", "invoice_number", "open_amount", "status", "prepared_by", "approved_by",
        ],
        "customer_credit_balance": [
            "company_id", "customer_account", "currency", "credit_balance", "credit_balance_accounting",
            "reaches_minimum",
        ],
        "job_overview": [
            "job_id", "company_id", "mode", "state", "attempts", "created_at", "started_at", "finished_at",
            "customers_done", "customers_total", "reimbursements", "skipped", "last_error",
        ],
    ]

    @Test(arguments: ["reimbursement_report", "customer_credit_balance", "job_overview"])
    func viewStartsWithTheContractColumnsInOrder(_ view: String) async throws {
        let database = try await TestServer.database()
        let (columns, isView) = try await database.withConnection { connection in
            (try connection.columnNames(of: view),
             try connection.count("SELECT count(*) FROM pg_views WHERE viewname = $1 AND schemaname = current_schema()", view))
        }
        let expected = try #require(Self.contract[view])
        #expect(isView == 1)
        #expect(Array(columns.prefix(expected.count)) == expected, "\(view) columns: \(columns)")
        #expect(Set(columns).count == columns.count, "duplicate column names in \(view)")
    }

    @Test(arguments: ["reimbursement_report", "customer_credit_balance", "job_overview"])
    func viewRunsAsTheInvoker(_ view: String) async throws {
        let database = try await TestServer.database()
        let options = try await database.withConnection { connection in
            try connection.strings(
                "SELECT unnest(reloptions) FROM pg_class WHERE oid = to_regclass($1)", view)
        }
        #expect(options.contains("security_invoker=true"), "\(view): \(options)")
    }

    struct ReportRow: Sendable, Equatable {
        var status: String?
        var openAmount: String?
    }

    static func report(_ connection: PostgresConnection) throws -> ReportRow {
        let row = try unwrap(try connection.execute(
            "SELECT status, open_amount::text FROM reimbursement_report WHERE company_id = 'A'").first, "report row")
        return ReportRow(status: try row.decode(String?.self, at: 0), openAmount: try row.decode(String?.self, at: 1))
    }

    @Test func reimbursementReportFollowsTheVendorInvoice() async throws {
        let database = try await TestServer.database()
        let (detail, rows, states) = try await database.withConnection { connection in
            let posted = try Fixture.seedPostedCompany("A", base: 1_000_000, on: connection)
            try Fixture.seedPostedCompany("B", base: 2_000_000, on: connection)
            let detail = try unwrap(try connection.execute(
                """
                SELECT company_id, reimbursement_id, job_id, posting_date::text, voucher, customer_account,
                       customer_name, vendor_account, vendor_name, one_time_vendor, currency, amount::text,
                       amount_accounting::text, invoice_number, open_amount::text, status,
                       one_time_vendor_created, vendor_invoice_id, due_date::text
                  FROM reimbursement_report WHERE company_id = 'A'
                """).first, "report row")
            let values = try (0..<19).map { try detail.decode(String?.self, at: $0) }
            let rows = try connection.count("SELECT count(*) FROM reimbursement_report")
            var states: [ReportRow] = []
            for settled in ["0", "0.01", "40", "99.999999", "100"] {
                try connection.execute(
                    "UPDATE vendor_invoice SET settled_amount = $1::numeric WHERE company_id = 'A' AND id = $2",
                    settled, posted.vendorInvoice)
                states.append(try Self.report(connection))
            }
            return (values, rows, states)
        }
        #expect(detail == [
            "A", "1000001", "1000001", "2024-03-31", "RV-00000001", "C1", "Customer C1 of A", "OTV-00000001",
            "Vendor OTV-00000001 of A", "t", "EUR", "100.000000", "100.000000", "VI-00000001", "100.000000", "open",
            "t", "1000001", "2024-04-14",
        ])
        #expect(rows == 2, "one row per reimbursement")
        #expect(states == [
            ReportRow(status: "open", openAmount: "100.000000"),
            ReportRow(status: "partially_paid", openAmount: "99.990000"),
            ReportRow(status: "partially_paid", openAmount: "60.000000"),
            ReportRow(status: "partially_paid", openAmount: "0.000001"),
            ReportRow(status: "paid", openAmount: "0.000000"),
        ])
    }

    struct Balance: Sendable, Equatable, CustomStringConvertible {
        var customer: String
        var currency: String
        var balance: String
        var accounting: String
        var reaches: Bool
        var description: String { "\(customer) \(currency) \(balance) \(accounting) \(reaches)" }
    }

    static func balances(_ connection: PostgresConnection, company: String) throws -> [Balance] {
        try connection.query(
            """
            SELECT customer_account, currency, credit_balance::text, credit_balance_accounting::text, reaches_minimum
              FROM customer_credit_balance WHERE company_id = $1 ORDER BY customer_account, currency
            """, company
        ) { row in
            Balance(
                customer: try row.decode(String.self, at: 0), currency: try row.decode(String.self, at: 1),
                balance: try row.decode(String.self, at: 2), accounting: try row.decode(String.self, at: 3),
                reaches: try row.decode(Bool.self, at: 4))
        }
    }

    @Test func customerCreditBalanceSumsOpenCreditsAgainstTheMinimum() async throws {
        let database = try await TestServer.database()
        let (before, after, other) = try await database.withConnection { connection in
            try Fixture.company("A", minimum: "10", on: connection)
            try Fixture.company("Z", minimum: "0", on: connection)
            for account in ["C1", "C2", "C3", "C4", "C5", "C6"] { try Fixture.customer("A", account, on: connection) }
            try Fixture.customer("Z", "C1", on: connection)
            // C1: two credits, 12 in all, and a USD credit of 3 (2.70 in EUR): 12 reaches 10, 2.70 does not.
            try Fixture.transaction("A", "C1", kind: "payment", amount: "-7", on: connection)
            try Fixture.transaction("A", "C1", kind: "credit_note", amount: "-5", on: connection)
            try Fixture.transaction("A", "C1", kind: "payment", currency: "USD", amount: "-3", accounting: "-2.70",
                                    on: connection)
            try Fixture.transaction("A", "C1", kind: "invoice", amount: "500", on: connection)  // debits don't count
            // C2: 9.999999 is below 10.
            try Fixture.transaction("A", "C2", kind: "payment", amount: "-9.999999", on: connection)
            // C3: exactly the minimum counts.
            try Fixture.transaction("A", "C3", kind: "payment", amount: "-10", on: connection)
            // C4: fully settled: no row.
            try Fixture.transaction("A", "C4", kind: "payment", amount: "-50", settled: "-50", on: connection)
            // C5: partly settled: 20 - 15 = 5 open; accounting differs (rate), 4.5 open.
            try Fixture.transaction("A", "C5", kind: "payment", amount: "-20", accounting: "-18", settled: "-15",
                                    settledAccounting: "-13.5", on: connection)
            // C6: only a debit: no row.
            try Fixture.transaction("A", "C6", kind: "invoice", amount: "5", on: connection)
            // Another company with minimum 0: any open credit reaches it.
            try Fixture.transaction("Z", "C1", kind: "payment", amount: "-0.000001", on: connection)
            let before = try Self.balances(connection, company: "A")
            // The minimum is judged "now": lowering it changes reaches_minimum at once.
            try connection.execute("UPDATE company SET minimum_reimbursement = $1::numeric WHERE id = 'A'", "4.5")
            let after = try Self.balances(connection, company: "A")
            return (before, after, try Self.balances(connection, company: "Z"))
        }
        #expect(before == [
            Balance(customer: "C1", currency: "EUR", balance: "12.000000", accounting: "12.000000", reaches: true),
            Balance(customer: "C1", currency: "USD", balance: "3.000000", accounting: "2.700000", reaches: false),
            Balance(customer: "C2", currency: "EUR", balance: "9.999999", accounting: "9.999999", reaches: false),
            Balance(customer: "C3", currency: "EUR", balance: "10.000000", accounting: "10.000000", reaches: true),
            Balance(customer: "C5", currency: "EUR", balance: "5.000000", accounting: "4.500000", reaches: false),
        ])
        #expect(after.map(\.reaches) == [true, false, true, true, true])
        #expect(other == [
            Balance(customer: "C1", currency: "EUR", balance: "0.000001", accounting: "0.000001", reaches: true),
        ])
    }

    struct Overview: Sendable, Equatable {
        var reimbursements: Int
        var skipped: Int
        var state: String
        var mode: String
        var customersDone: Int
        var customersTotal: Int?
        var lastError: String?
    }

    @Test func jobOverviewCountsFromTheResult() async throws {
        let database = try await TestServer.database()
        let overviews = try await database.withConnection { connection -> [Overview] in
            try Fixture.company("A", on: connection)
            let finished = try Fixture.job("A", state: "succeeded", result: """
                {"customers": {"selected": 9, "reimbursed": 4, "no_credit_balance": 1,
                               "skipped": {"on_hold": 1, "below_minimum": 2, "open_debits": 1}},
                 "reimbursements": 5, "totals": {"EUR": {"amount": "12.500000", "amount_accounting": "12.500000"}}}
                """, on: connection)
            let queued = try Fixture.job("A", mode: "preview", on: connection)
            let failed = try Fixture.job("A", state: "failed", result: """
                {"customers": {"selected": 2, "reimbursed": 0, "no_credit_balance": 0, "skipped": {}},
                 "reimbursements": 0, "totals": {}}
                """, on: connection)
            try connection.execute(
                "UPDATE reimbursement_job SET last_error = $1 WHERE company_id = 'A' AND id = $2",
                "company A has no vendor_invoice number sequence", failed)
            return try [finished, queued, failed].map { id in
                let row = try unwrap(try connection.execute(
                    """
                    SELECT reimbursements, skipped, state, mode, customers_done, customers_total, last_error
                      FROM job_overview WHERE company_id = 'A' AND job_id = $1
                    """, id).first, "job \(id)")
                return Overview(
                    reimbursements: try row.decode(Int.self, at: 0), skipped: try row.decode(Int.self, at: 1),
                    state: try row.decode(String.self, at: 2), mode: try row.decode(String.self, at: 3),
                    customersDone: try row.decode(Int.self, at: 4), customersTotal: try row.decode(Int?.self, at: 5),
                    lastError: try row.decode(String?.self, at: 6))
            }
        }
        #expect(overviews == [
            Overview(reimbursements: 5, skipped: 4, state: "succeeded", mode: "post", customersDone: 3,
                     customersTotal: 3, lastError: nil),
            Overview(reimbursements: 0, skipped: 0, state: "queued", mode: "preview", customersDone: 0,
                     customersTotal: nil, lastError: nil),
            Overview(reimbursements: 0, skipped: 0, state: "failed", mode: "post", customersDone: 3,
                     customersTotal: 3, lastError: "company A has no vendor_invoice number sequence"),
        ])
    }
}
