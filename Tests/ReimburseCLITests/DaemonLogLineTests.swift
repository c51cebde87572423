import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 items 3 and 4: every line `serve --log-format json` writes is a JSON object, the
/// server's notices, warnings and FATALs included, and numbers and booleans are typed.
@Suite("daemon log lines")
struct DaemonLogLineTests {
    /// Three customers with credits, chunks of one; a trigger of "the ERP" that raises a
    /// WARNING and a NOTICE when a vendor invoice is posted; a least-privilege daemon login
    /// (whose rows go through the staging tables).
    private func prepare() async throws -> (TestDatabase, String) {
        let database = try await TestServer.database()
        let login = "reimburse_log_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10))"
        try await database.withConnection { connection in
            try Fixtures.company("USMF", on: connection)
            for account in ["C-1", "C-2", "C-3"] {
                try connection.execute(
                    "INSERT INTO customer (company_id, account, name, currency) VALUES ('USMF', $1, 'A', 'USD')", account)
                try connection.execute("""
                    INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount,
                                                      amount_accounting, ledger_account)
                    VALUES ('USMF', $1, 'payment', 'USD', -25.50, -25.50, '1200')
                    """, account)
            }
            try connection.executeScript("""
                CREATE FUNCTION erp_hook() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE WARNING 'erp hook: % new invoices', (SELECT count(*) FROM new_rows) USING HINT = 'just saying';
                    RAISE NOTICE 'erp hook noticed';
                    RETURN NULL;
                END $$;
                CREATE TRIGGER erp_hook AFTER INSERT ON vendor_invoice REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION erp_hook();
                """)
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_service")
            try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('USMF')")
        }
        return (database, "\(database.conninfo) user=\(login)")
    }

    private func objects(_ standardError: String) -> [[String: Any]] {
        standardError.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    @Test func everyLineIsJSONWithTheServersNoticesInside() async throws {
        let (database, conninfo) = try await prepare()
        let outcome = try await Reimburse.run(
            "serve", "--exit-when-idle", "--workers", "1", "--chunk-size", "1", "--log-format", "json",
            "--log-level", "debug", "--database-url", conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let lines = outcome.standardError.split(separator: "\n")
        let parsed = objects(outcome.standardError)
        #expect(lines.count == parsed.count, "lines that are not JSON:\n\(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }.joined(separator: "\n"))")
        let warnings = parsed.filter { ($0["msg"] as? String)?.hasPrefix("database WARNING: erp hook: 1 new invoices") == true }
        #expect(warnings.count == 3, "\(outcome)")
        #expect(warnings.first?["level"] as? String == "warning")
        #expect(warnings.first?["hint"] as? String == "just saying")
        #expect(parsed.contains { ($0["msg"] as? String) == "database NOTICE: erp hook noticed" }, "\(outcome)")
        let state = try await database.withConnection {
            try $0.queryValue(String.self, "SELECT state FROM reimbursement_job")
        }
        #expect(state == "succeeded")
    }

    /// The FATAL a server sends when it ends an idle session (here the listener's) was a raw
    /// line; it is a log line, and the message of the reconnect names what happened.
    @Test func aTerminatedSessionIsLoggedAsJSON() async throws {
        let database = try await TestServer.database()
        let child = try Reimburse.start([
            "serve", "--workers", "1", "--log-format", "json", "--database-url", database.conninfo,
        ])
        #expect(try await child.waitForOutput(containing: "ready", onStandardError: true, timeout: .seconds(30)))
        try await database.withConnection { connection in
            _ = try connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'reimburse-listener%'")
        }
        #expect(try await child.waitForOutput(
            containing: "database connection restored", onStandardError: true, timeout: .seconds(30)), "\(child.standardError)")
        child.send(SIGTERM)
        let outcome = try await child.wait(timeout: .seconds(30))
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == objects(outcome.standardError).count, "\(outcome)")
        #expect(outcome.standardError.contains("database FATAL: terminating connection due to administrator command"),
                "\(outcome)")
        #expect(!outcome.standardError.contains("database unavailable"), "\(outcome)")
    }

    /// Item 4: numbers and booleans are JSON numbers and booleans.
    @Test func numbersAndBooleansAreTyped() async throws {
        let (_, conninfo) = try await prepare()
        let outcome = try await Reimburse.run(
            "serve", "--exit-when-idle", "--workers", "1", "--log-format", "json", "--database-url", conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let parsed = objects(outcome.standardError)
        let starting = try #require(parsed.first { $0["msg"] as? String == "reimburse daemon starting" }, "\(outcome)")
        #expect(starting["workers"] is Int && starting["exit_when_idle"] as? Bool == true, "\(starting)")
        #expect(outcome.standardError.contains("\"exit_when_idle\":true"), "\(outcome)")
        let succeeded = try #require(parsed.first { $0["msg"] as? String == "job succeeded" }, "\(outcome)")
        for key in ["job", "attempt", "worker", "customers", "reimbursed", "reimbursements", "skipped", "duration_ms"] {
            #expect(succeeded[key] is Int, "\(key) in \(succeeded)")
        }
        #expect(succeeded["company"] as? String == "USMF")
        let line = try #require(outcome.standardError.split(separator: "\n").first { $0.contains("\"job succeeded\"") })
        #expect(!line.contains("\"job\":\""), "\(line)")
        #expect(!line.contains("\"duration_ms\":\""), "\(line)")
    }
}
