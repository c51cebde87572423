import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

/// A streaming replica of a private cluster (`pg_basebackup -R` as the server's user, started
/// with `pg_ctl`), as reporting tools read it. Both servers are destroyed at the end.
@Suite("A hot standby for reports", .serialized)
struct ReplicaTests {
    static func value(_ sql: String, at conninfo: String) throws -> String? {
        let connection = try PostgresConnection(conninfo: conninfo, applicationName: "replica-tests")
        return try connection.queryValue(String.self, sql)
    }

    /// report, status and verify, and a reporting login reading the views, work on the replica;
    /// `host=replica,primary target_session_attrs=read-write` reaches the primary; `serve`
    /// pointed at the replica waits, saying why, and runs the queued jobs once it is promoted.
    @Test func reportsReadTheReplicaAndServeWaitsForPromotion() async throws {
        let primary = try LocalPostgresCluster.start(prefix: "reimburse-primary")
        defer { primary.destroy() }
        let setup = try PostgresConnection(conninfo: primary.conninfo(), applicationName: "replica-tests")
        try setup.execute("CREATE DATABASE reimburse")
        let onPrimary = primary.conninfo(database: "reimburse")
        let migrated = try await Reimburse.run("migrate", "--database-url", onPrimary)
        #expect(migrated.exitCode == 0, "\(migrated)")
        let reporter = "replica_reader"
        do {
            let connection = try PostgresConnection(conninfo: onPrimary, applicationName: "replica-tests")
            for company in ["REP", "OTHER"] {
                try LedgerFixture.company(company, on: connection)
                for k in 1...3 {
                    try LedgerFixture.customer(company, "C\(k)", on: connection)
                    try LedgerFixture.transaction(company, "C\(k)", amount: "-\(k).50", on: connection)
                }
                try LedgerFixture.job(company, on: connection)
            }
            try connection.execute("CREATE ROLE \(reporter) LOGIN IN ROLE reimburse_reporting")
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'REP')", reporter)
        }
        let posted = try await Reimburse.run("serve", "--exit-when-idle", "--database-url", onPrimary)
        #expect(posted.exitCode == 0, "\(posted)")
        // A job queued after the posting, for the promoted replica to run.
        _ = try LedgerFixture.job("REP", postingDate: "2026-11-26", on: try PostgresConnection(conninfo: onPrimary))

        let replica = try primary.startReplica()
        defer { replica.destroy() }
        try replica.waitForReplay(from: primary)
        let onReplica = replica.conninfo(database: "reimburse")
        #expect(try Self.value("SELECT pg_is_in_recovery()::text", at: onReplica) == "true")

        let report = try await Reimburse.run("report", "--format", "csv", "--database-url", onReplica)
        #expect(report.exitCode == 0 && report.standardOutput.components(separatedBy: "\r\n").count == 8, "\(report)")
        let status = try await Reimburse.run("status", "--database-url", onReplica)
        #expect(status.exitCode == 0 && status.standardOutput.contains("REP"), "\(status)")
        let verify = try await Reimburse.run("verify", "--database-url", onReplica)
        #expect(verify.exitCode == 0, "\(verify)")
        let asReporter = replica.conninfo(database: "reimburse", user: reporter)
        #expect(try Self.value("SELECT count(*)::text FROM reimbursement_report", at: asReporter) == "3")
        #expect(try Self.value("SELECT string_agg(DISTINCT company_id, ',') FROM job_overview", at: asReporter) == "REP")
        let readerReport = try await Reimburse.run("report", "--format", "csv", "--database-url", asReporter)
        #expect(readerReport.exitCode == 0 && readerReport.standardOutput.components(separatedBy: "\r\n").count == 5,
                "\(readerReport)")

        // Both hosts, the replica first: libpq skips it for the primary.
        let both = "host=\(replica.socketDirectory),\(primary.socketDirectory) port=5432,5432 dbname=reimburse "
            + "user=postgres target_session_attrs=read-write"
        let enqueued = try await Reimburse.run(
            "enqueue", "--company", "OTHER", "--posting-date", "2026-11-26", "--database-url", both)
        #expect(enqueued.exitCode == 0, "\(enqueued)")
        #expect(try Self.value("SELECT count(*)::text FROM reimbursement_job WHERE state = 'queued'", at: onPrimary) == "2")
        try replica.waitForReplay(from: primary)

        // serve on the replica: waits, says it is a standby, claims nothing.
        let serve = try Reimburse.start(
            ["serve", "--exit-when-idle", "--database-url", onReplica], environment: ["LOG_LEVEL": "info"])
        let said = try await serve.waitForOutput(containing: "in recovery", onStandardError: true, timeout: .seconds(20))
        #expect(said, "serve did not say it waits for a standby")
        try await Task.sleep(for: .seconds(1))
        #expect(try Self.value(
            "SELECT string_agg(state || '/' || attempts, ',') FROM reimbursement_job WHERE state <> 'succeeded'",
            at: onReplica) == "queued/0,queued/0")
        // The primary goes away and the replica is promoted: serve runs the jobs and exits.
        try primary.stopServer()
        try replica.promote()
        let outcome = try await serve.wait(timeout: .seconds(60))
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(try Self.value(
            "SELECT string_agg(state || '/' || attempts, ',' ORDER BY id) FROM reimbursement_job", at: onReplica)
            == "succeeded/1,succeeded/1,succeeded/1,succeeded/1", "\(outcome)")
        let verifyPromoted = try await Reimburse.run("verify", "--database-url", onReplica)
        #expect(verifyPromoted.exitCode == 0, "\(verifyPromoted)")
    }
}
