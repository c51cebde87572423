import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse demo")
struct DemoCommandTests {
    @Test func tellsTheWholeStoryOnAPrivateServerAndRemovesIt() async throws {
        let outcome = try await Reimburse.run("demo", "--customers", "200", timeout: .seconds(120))
        #expect(outcome.exitCode == 0, "\(outcome)")
        let output = outcome.standardOutput
        for expected in [
            "INSERT INTO reimbursement_job (company_id, mode) VALUES ('USMF', 'preview') RETURNING id;",
            "INSERT INTO reimbursement_job (company_id, summarize) VALUES ('DEMF', false) RETURNING id;",
            "INSERT INTO reimbursement_job (company_id, debit_handling) VALUES ('GBSI', 'include') RETURNING id;",
            "(preview) succeeded", "approves_job_id", "changed_since_preview", "below_minimum", "on_hold",
            "open_debits", "pending_settlement", "vendor_not_found", "Reimbursement report", "job_overview",
            "Stopped and removed the demo's PostgreSQL",
        ] {
            #expect(output.contains(expected), "missing \(expected)")
        }
        #expect(!output.contains(" failed"), "\(outcome)")
        let folder = try #require(Self.clusterFolder(in: output))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    /// `--database-url` with an empty schema of its own, beside other data: the demo lives in
    /// that schema only, and a second run is refused because the schema is no longer empty.
    @Test func loadsTheSampleIntoAnEmptyNamedSchemaOnce() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            _ = try connection.execute("CREATE TABLE erp_note (body text)")
            _ = try connection.execute("INSERT INTO erp_note VALUES ('keep me')")
            _ = try connection.execute("CREATE SCHEMA demo")
        }
        let url = database.conninfoWithSearchPath("demo")
        let first = try await Reimburse.run("demo", "--customers", "60", "--database-url", url, timeout: .seconds(120))
        #expect(first.exitCode == 0, "\(first)")
        #expect(first.standardOutput.contains("using the database you named"), "\(first)")
        #expect(first.standardOutput.contains("its empty schema \"demo\""), "\(first)")
        // Every job of the story succeeds, except the one the story has refused on purpose
        // (a job dated in a closed ledger period, PRODUCT.md section 6).
        let unexpected = try await database.withConnection { connection in
            try connection.query("""
                SELECT id || ' ' || state || ' ' || coalesce(last_error, '') FROM demo.reimbursement_job
                 WHERE state <> 'succeeded' AND NOT (state = 'failed' AND last_error LIKE '%closed%')
                """) { try $0.decode(String.self, at: 0) }
        }
        #expect(unexpected.isEmpty, "\(unexpected)")
        let succeeded = try await database.withConnection {
            try $0.queryValue(Int.self, "SELECT count(*) FROM demo.reimbursement_job WHERE state = 'succeeded'")
        }
        #expect((succeeded ?? 0) >= 4)
        let customers = try await database.withConnection { try $0.queryValue(Int.self, "SELECT count(*) FROM demo.customer") }
        #expect((customers ?? 0) >= 60)  // the sample, plus what later chapters add
        let publicSchema = try await database.withConnection { connection in
            try connection.queryValue(
                String.self,
                """
                SELECT (SELECT string_agg(body, ',') FROM public.erp_note) || ' '
                       || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)
                """)
        }
        #expect(publicSchema == "keep me 1")

        // What the demo posted holds every ledger invariant.
        let verify = try await Reimburse.run("verify", "--database-url", url)
        #expect(verify.exitCode == 0, "\(verify)")
        #expect(verify.standardOutput.contains("checks passed"), "\(verify)")

        let second = try await Reimburse.run("demo", "--customers", "60", "--database-url", url)
        #expect(second.exitCode == 65, "\(second)")
        #expect(second.errorLines.count == 1, "\(second)")
        #expect(second.standardError.contains("already holds a Reimburse schema"), "\(second)")
    }

    @Test func ctrlCStopsAndRemovesThePrivateServer() async throws {
        // Many customers, so the demo is still loading when the signal arrives.
        let child = try Reimburse.start(["demo", "--customers", "400000"])
        let started = try await child.waitForOutput(containing: "started a private PostgreSQL", timeout: .seconds(60))
        #expect(started, "\(child.standardError)")
        child.send(SIGINT)
        let outcome = try await child.wait(timeout: .seconds(60))
        #expect(outcome.exitCode == 130, "\(outcome)")
        #expect(outcome.standardError.contains("interrupted"), "\(outcome)")
        let folder = try #require(Self.clusterFolder(in: outcome.standardOutput))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test func tooFewCustomersIsAUsageError() async throws {
        let outcome = try await Reimburse.run("demo", "--customers", "5")
        #expect(outcome.exitCode == 64, "\(outcome)")
        #expect(outcome.standardError.contains("--customers"), "\(outcome)")
    }

    /// "started a private PostgreSQL 15.x (...) in /tmp/reimburse-demo-XXXXXX (1.2 s)"
    static func clusterFolder(in output: String) -> String? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("started a private PostgreSQL") }),
              let range = line.range(of: " in /")
        else { return nil }
        let rest = line[line.index(after: range.lowerBound)...].dropFirst(2)
        return String(rest.prefix { $0 != " " })
    }
}

/// `reimburse demo | head` closes the demo's stdout early; the server must still go away.
@Suite("reimburse demo with its output closed")
struct DemoClosedOutputTests {
    @Test func aClosedPipeStillRemovesThePrivateServer() async throws {
        let binary = try ReimburseBinary.require()
        let script = "\"\(binary)\" demo --customers 300 | head -4"
        let child = try ChildProcess("/bin/sh", ["-c", script], environment: ChildProcess.baseEnvironment)
        let outcome = try await child.wait(timeout: .seconds(120))
        #expect(outcome.exitCode == 0, "\(outcome)")
        let folder = try #require(DemoCommandTests.clusterFolder(in: outcome.standardOutput), "\(outcome)")
        // The demo outlives `head` by the time it takes to stop the server.
        let deadline = ContinuousClock.now + .seconds(30)
        while FileManager.default.fileExists(atPath: folder), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
