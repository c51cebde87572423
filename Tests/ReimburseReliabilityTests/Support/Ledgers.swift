import Foundation
import Logging
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// Realistic generated ledgers, written set-based on the server (fast, and deterministic: the
/// same company code and size give the same rows in any database).
enum Ledgers {
    /// A company `id` (accounting currency USD, minimum 5) with `customers` customers: credits
    /// and debits in USD, EUR and GBP on two ledger accounts, some partly settled, some
    /// customers on hold, marked for settlement, with an existing vendor or a vendor account
    /// naming no vendor; groups RETAIL and WHOLESALE.
    static func company(_ id: String, customers: Int, on connection: PostgresConnection) throws {
        try LedgerFixture.company(id, minimum: "5", on: connection)
        try connection.execute("""
            INSERT INTO customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address)
            SELECT $1, 'C' || lpad(i::text, 6, '0'), 'Customer ' || i,
                   CASE WHEN i % 3 = 0 THEN 'WHOLESALE' ELSE 'RETAIL' END,
                   CASE WHEN i % 5 = 0 THEN 'EUR' ELSE 'USD' END,
                   CASE WHEN i % 7 = 0 THEN 'V' || lpad(i::text, 6, '0') WHEN i % 29 = 0 THEN 'GHOST' || i END,
                   i % 31 = 0, i || ' Main Street'
              FROM generate_series(1, $2::int) i
            """, id, customers)
        try connection.execute("""
            INSERT INTO vendor (company_id, account, name, vendor_group, currency, address)
            SELECT $1, 'V' || lpad(i::text, 6, '0'), 'Vendor ' || i, 'TRADE', 'USD', 'somewhere'
              FROM generate_series(7, $2::int, 7) i
            """, id, customers)
        try connection.execute("""
            INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, amount,
                   amount_accounting, settled_amount, settled_amount_accounting, ledger_account, marked_for_settlement)
            SELECT $1, 'C' || lpad(i::text, 6, '0'), 'T-' || i || '-' || k,
                   CASE WHEN sign > 0 THEN 'invoice' WHEN h % 2 = 0 THEN 'payment' ELSE 'credit_note' END,
                   currency, sign * base, sign * accounting,
                   CASE WHEN sign < 0 AND h % 6 = 0 THEN trunc(sign * base / 2, 2) ELSE 0 END,
                   CASE WHEN sign < 0 AND h % 6 = 0 THEN trunc(sign * accounting / 2, 2) ELSE 0 END,
                   CASE WHEN h % 3 = 0 THEN '1300' ELSE '1200' END,
                   h % 97 = 0
              FROM generate_series(1, $2::int) i
             CROSS JOIN LATERAL generate_series(1, 1 + i % 4) k
             CROSS JOIN LATERAL (SELECT hashtext($1 || '/' || i || '/' || k) & 2147483647 AS h) hashed
             CROSS JOIN LATERAL (
                   SELECT CASE WHEN h % 5 = 0 THEN 1 ELSE -1 END AS sign,
                          ((h / 7) % 100000 + 1) / 100.0 AS base,
                          CASE WHEN h % 4 = 0 THEN 'EUR' WHEN h % 9 = 0 THEN 'GBP' ELSE 'USD' END AS currency) a
             CROSS JOIN LATERAL (
                   SELECT round(base * CASE currency WHEN 'EUR' THEN 1.1 WHEN 'GBP' THEN 1.3 ELSE 1 END, 2)
                          AS accounting) b
            """, id, customers)
    }

    /// Two jobs of a company with disjoint selections (so their order does not change what
    /// they post): RETAIL with open debits included, WHOLESALE one reimbursement per ledger
    /// account.
    @discardableResult
    static func jobs(_ id: String, maxAttempts: Int = 5, on connection: PostgresConnection) throws -> [Int64] {
        try connection.query("""
            INSERT INTO reimbursement_job (company_id, customer_groups, debit_handling, summarize, posting_date, max_attempts)
            VALUES ($1, '{RETAIL}', 'include', true, '2026-11-25', $2),
                   ($1, '{WHOLESALE}', 'skip', false, '2026-11-25', $2)
            RETURNING id
            """, id, maxAttempts) { try $0.decode(Int64.self, at: 0) }
    }

    /// What was posted, per company and currency: comparable between two databases loaded with
    /// the same data, whatever the order and the numbering.
    static func postedTotals(on connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT company_id || ' ' || currency || ' n=' || count(*) || ' amount=' || sum(amount)
                   || ' accounting=' || sum(amount_accounting) || ' customers=' || count(DISTINCT customer_account)
                   || ' created_vendors=' || count(*) FILTER (WHERE one_time_vendor_created)
              FROM reimbursement GROUP BY company_id, currency ORDER BY company_id, currency
            """) { try $0.decode(String.self, at: 0) }
        + connection.query("""
            SELECT company_id || ' skip ' || reason || ' ' || coalesce(currency, '-') || ' n=' || count(*)
                   || ' balance=' || coalesce(sum(credit_balance_accounting), 0)
              FROM reimbursement_skip GROUP BY company_id, reason, currency ORDER BY 1
            """) { try $0.decode(String.self, at: 0) }
    }

    static func unfinishedJobs(on connection: PostgresConnection) throws -> Int {
        try connection.queryValue(
            Int.self, "SELECT count(*) FROM reimbursement_job WHERE state IN ('queued', 'running')") ?? 0
    }

    /// Runs the verifier and records every violation as an issue.
    static func expectVerified(
        on connection: PostgresConnection, company: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try LedgerVerifier(connection: connection).verify(companyID: company)
        #expect(result.passed, "\(result.violations.prefix(20).map(\.description).joined(separator: "\n"))",
                sourceLocation: sourceLocation)
    }
}

/// Waits until `condition` holds, polling every `interval`; throws after `timeout`.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(120), interval: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now > deadline { throw TestSupportError("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}
