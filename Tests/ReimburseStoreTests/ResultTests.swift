import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// The job row as reporting tools read it: state, progress, and `result` in the contract's
/// shape (PRODUCT.md §1).
@Suite("Job result")
struct ResultTests {
    @Test func resultShapeCountsAndTotals() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try ModeTests.buildLedger(on: connection)
            // Digits beyond two decimals survive.
            try LedgerFixture.customer("MODE", "H", on: connection)
            try LedgerFixture.transaction("MODE", "H", amount: "-10.000001", accounting: "-10.123457", on: connection)
            let job = try LedgerFixture.job("MODE", postingDate: nil, on: connection)
            #expect(try Store.rows(
                "SELECT state, customers_total, customers_done, result FROM reimbursement_job WHERE id = $1", job,
                on: connection) == ["queued|NULL|0|NULL"])
            try Store.run(job, chunkSize: 3, on: connection)

            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.topLevelKeys == ["customers", "reimbursements", "totals"])
            #expect(result.customerKeys == ["selected", "reimbursed", "no_credit_balance", "skipped"])
            #expect(result.selected == 7)
            #expect(result.reimbursed == 4)
            #expect(result.noCreditBalance == 1)
            #expect(result.skipped("below_minimum") == 1)
            #expect(result.skipped("on_hold") == 1)
            #expect(result.skipped.values.reduce(0, +) == 2)
            #expect(Set(result.skipped.keys).isSubset(of: Set(SkipReason.allCases.map(\.rawValue))))
            #expect(result.reimbursements == 5)
            #expect(result.selected == result.reimbursed + result.noCreditBalance + result.skipped.values.reduce(0, +))
            #expect(Set(result.totals.keys) == ["EUR", "USD"])
            for (currency, total) in result.totals {
                #expect(Set(total.keys) == ["amount", "amount_accounting"], "\(currency)")
            }
            #expect(result.total("USD") == Money("96.000001"))
            #expect(result.total("USD", "amount_accounting") == Money("96.123457"))
            #expect(result.total("EUR") == Money("12"))
            #expect(result.total("EUR", "amount_accounting") == Money("13.2"))
            // The totals are the database's sums, exactly.
            #expect(try Store.rows("""
                SELECT currency, sum(amount), sum(amount_accounting) FROM reimbursement WHERE job_id = $1
                 GROUP BY currency ORDER BY currency
                """, job, on: connection).map { $0.split(separator: "|").map(String.init) }
                == [["EUR", "12.000000", "13.200000"], ["USD", "96.000001", "96.123457"]])
            #expect(try Store.rows("""
                SELECT state, customers_total, customers_done, last_error IS NULL, finished_at IS NOT NULL,
                       posting_date IS NULL AND effective_posting_date = (now() AT TIME ZONE 'UTC')::date,
                       lease_token IS NULL
                  FROM reimbursement_job WHERE id = $1
                """, job, on: connection) == ["succeeded|7|7|t|t|t|t"])
            #expect(try Store.rows(
                "SELECT state, customers_done, customers_total, reimbursements, skipped FROM job_overview WHERE job_id = $1",
                job, on: connection) == ["succeeded|7|7|5|2"])
            // Posting date NULL means the company's day (UTC here) when the job ran, on every row.
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement WHERE job_id = $1 AND posting_date <> (now() AT TIME ZONE 'UTC')::date", job,
                on: connection) == 0)
        }
    }

    @Test func anEmptySelectionSucceedsWithZeroes() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("NONE", on: connection)
            let job = try LedgerFixture.job("NONE", accounts: [], on: connection)
            try Store.run(job, on: connection)
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 0)
            #expect(result.reimbursements == 0)
            #expect(result.totals.isEmpty)
            #expect(result.skipped.values.allSatisfy { $0 == 0 })
            #expect(try Store.rows(
                "SELECT state, customers_total, customers_done FROM reimbursement_job WHERE id = $1", job,
                on: connection) == ["succeeded|0|0"])
        }
    }
}
