import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// The inputs of issue 11 kind 7 and issue 12 item 7, written the way an integration writes
/// them (the job rows by an enqueue login), each refused at the statement by the named
/// constraint (sql/0010). Before 0010 every one of them was accepted (the dedupe key failed
/// with PostgreSQL's raw "index row size exceeds btree maximum") and broke later.
@Suite("Issue inputs the rules cannot use")
struct IssueInputRefusalTests {
    /// Company A with customer C1, an enqueue login granted A; `body` runs as that login.
    private func asEnqueuer(
        _ body: @escaping @Sendable (PostgresConnection) throws -> PostgresError?
    ) async throws -> PostgresError? {
        let database = try await TestServer.database()
        let login = uniqueRoleName("uv_enqueue")
        try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try createLogin(login, memberOf: "reimburse_enqueue", on: connection)
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'A')", login)
        }
        let error = try await database.withConnection(asUser: login, body)
        try await database.withConnection { dropRoles([login], on: $0) }
        return error
    }

    private func expectRefused(_ error: PostgresError?, by constraints: Set<String>, _ what: String) {
        guard let error else {
            Issue.record("\(what) was accepted")
            return
        }
        #expect(error.sqlState == SQLState.checkViolation, "\(what): \(describe(error))")
        #expect(error.constraintName.map(constraints.contains) == true, "\(what): \(describe(error))")
    }

    @Test func aNaNMinimumReimbursement() async throws {
        let database = try await TestServer.database()
        let (error, minimum) = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            let error = try connection.failure("UPDATE company SET minimum_reimbursement = 'NaN' WHERE id = 'A'")
            return (error, try connection.strings("SELECT minimum_reimbursement::text FROM company"))
        }
        expectRefused(error, by: ["company_minimum_reimbursement_finite"], "minimum_reimbursement NaN")
        #expect(minimum == ["10.000000"])
    }

    @Test func aTransactionWithNaNAmounts() async throws {
        let database = try await TestServer.database()
        let (error, rows) = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try Fixture.customer("A", "C1", on: connection)
            let error = try connection.failure(
                """
                INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                  amount_accounting, ledger_account)
                VALUES ('A', 'C1', 'payment', 'EUR', 'NaN', 'NaN', '1200')
                """)
            return (error, try connection.count("SELECT count(*) FROM customer_transaction"))
        }
        // Both amounts are NaN; PostgreSQL reports the first failing check in name order.
        expectRefused(
            error, by: ["customer_transaction_amount_accounting_finite", "customer_transaction_amount_finite"],
            "amount and amount_accounting NaN")
        #expect(rows == 0)
    }

    @Test func aPostingDateOfInfinity() async throws {
        let error = try await asEnqueuer { connection in
            try connection.failure("INSERT INTO reimbursement_job (company_id, posting_date) VALUES ('A', 'infinity')")
        }
        expectRefused(error, by: ["reimbursement_job_posting_date_range"], "posting_date infinity")
    }

    @Test func aNullInsideCustomerAccounts() async throws {
        let error = try await asEnqueuer { connection in
            try connection.failure(
                "INSERT INTO reimbursement_job (company_id, customer_accounts) VALUES ('A', ARRAY['C1', NULL])")
        }
        expectRefused(error, by: ["reimbursement_job_customer_accounts_no_null_elements"], "NULL in customer_accounts")
    }

    @Test func aRunAtOfInfinityAtInsertAndUpdate() async throws {
        let (inserted, updated) = try await asEnqueuerTwice { connection in
            let inserted = try connection.failure(
                "INSERT INTO reimbursement_job (company_id, run_at) VALUES ('A', 'infinity')")
            return inserted
        } then: { connection in
            // The daemon's view: a queued job whose run_at is set later (the owner may).
            try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('A')")
            return try connection.failure("UPDATE reimbursement_job SET run_at = 'infinity' WHERE company_id = 'A'")
        }
        expectRefused(inserted, by: ["reimbursement_job_run_at_range"], "INSERT run_at infinity")
        expectRefused(updated, by: ["reimbursement_job_run_at_range"], "UPDATE run_at infinity")
    }

    @Test func aSixKilobyteDedupeKey() async throws {
        let key = String((0..<6_144).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let error = try await asEnqueuer { connection in
            try connection.failure("INSERT INTO reimbursement_job (company_id, dedupe_key) VALUES ('A', $1)", key)
        }
        expectRefused(error, by: ["reimbursement_job_dedupe_key_length"], "a 6 kB dedupe_key")
        // The limit is 255 characters, whatever their size in bytes: 255 four-byte characters pass.
        let atLimit = try await asEnqueuer { connection in
            try connection.failure(
                "INSERT INTO reimbursement_job (company_id, dedupe_key) VALUES ('A', $1)",
                String(repeating: "🙂", count: 255))
        }
        #expect(atLimit == nil, "\(describe(atLimit))")
    }

    /// Runs `first` as the enqueue login and `then` as the owner on the same database.
    private func asEnqueuerTwice(
        _ first: @escaping @Sendable (PostgresConnection) throws -> PostgresError?,
        then second: @escaping @Sendable (PostgresConnection) throws -> PostgresError?
    ) async throws -> (PostgresError?, PostgresError?) {
        let database = try await TestServer.database()
        let login = uniqueRoleName("uv_enqueue")
        try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try createLogin(login, memberOf: "reimburse_enqueue", on: connection)
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'A')", login)
        }
        let one = try await database.withConnection(asUser: login, first)
        let two = try await database.withConnection(second)
        try await database.withConnection { dropRoles([login], on: $0) }
        return (one, two)
    }
}
