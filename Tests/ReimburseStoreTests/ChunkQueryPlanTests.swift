import Foundation
import Postgres
@testable import ReimburseStore
import ReimburseTestSupport
import Testing

/// The chunk's customer query probes `vendor` per customer whatever the statistics: as a plain
/// join the planner hashed every vendor of the company once per chunk (7.3 ms per chunk at
/// 100,000 customers, growing with the company as one-time vendors accumulate).
@Suite("Chunk query plans")
struct ChunkQueryPlanTests {
    @Test func theCustomerQueryNeverReadsEveryVendorOfTheCompany() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("PLAN", on: connection)
            try connection.execute("""
                INSERT INTO vendor (company_id, account, name, vendor_group, currency, address, one_time, customer_account)
                SELECT 'PLAN', 'V' || lpad(g::text, 6, '0'), 'Vendor', 'TRADE', 'USD', 'somewhere', false, NULL
                  FROM generate_series(1, 100000) g
                """)
            try connection.execute("""
                INSERT INTO customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address)
                SELECT 'PLAN', 'C' || lpad(g::text, 6, '0'), 'Customer', 'RETAIL', 'USD',
                       'V' || lpad((g * 7 % 100000 + 1)::text, 6, '0'), false, 'Main Street'
                  FROM generate_series(1, 100000) g
                """)
            try connection.execute("VACUUM ANALYZE vendor, customer")
            let keys = (1...500).map { String(format: "C%06d", $0) }
            try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            // As the daemon sends it: parameters bound, generic plan forced (a long-lived session
            // ends up with the generic plan after five executions).
            try connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            try connection.execute("PREPARE chunk_customers AS \(ChunkLoader.customersSQL)")
            // EXPLAIN EXECUTE takes no bound parameters: the keys are this test's own constants.
            let plan = try connection.query(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE chunk_customers('PLAN', '{"
                    + keys.joined(separator: ",") + "}', NULL, NULL, NULL)"
            ) { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            #expect(!plan.contains("Seq Scan on vendor"), "\(plan)")
            #expect(!plan.contains("Hash"), "\(plan)")
            // Each customer's own vendor is one probe: no vendor scan returns more rows than it
            // is asked for.
            #expect(!plan.contains("rows=100000"), "\(plan)")
        }
    }
}
