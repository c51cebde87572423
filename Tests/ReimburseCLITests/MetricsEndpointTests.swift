import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// `reimburse serve --metrics-address` (PRODUCT.md section 10), against the real binary, the
/// real `promtool` and a real Prometheus server that scrapes it.
@Suite("reimburse serve: /metrics")
struct MetricsEndpointTests {
    /// The families section 10 names; each must be in every scrape.
    static let contractFamilies = [
        "reimburse_jobs", "reimburse_oldest_runnable_job_age_seconds", "reimburse_job_duration_seconds",
        "reimburse_job_queue_wait_seconds", "reimburse_job_attempts_total", "reimburse_job_failures_total",
        "reimburse_customers_total", "reimburse_reimbursements_total", "reimburse_rescues_total",
        "reimburse_build_info",
    ]

    /// The README's example alerts, exactly as written there.
    static let jobFailedAlert = #"max by (company) (delta(reimburse_jobs{state="failed"}[15m])) > 0"#
    static let queueStuckAlert = "max by (company) (reimburse_oldest_runnable_job_age_seconds) > 900"
    static let daemonDownAlert = #"up{job="reimburse"} == 0"#

    @Test func servesEveryFamilyInAFormatPromtoolAccepts() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try MetricsFixture.companies(on: $0) }
        let port = try LoopbackHTTP.freePort()
        // The environment variable, as the example unit sets it.
        try await MetricsFixture.withDaemon(database, environment: ["REIMBURSE_METRICS_ADDRESS": "127.0.0.1:\(port)"]) { _ in
            try await database.withConnection { try MetricsFixture.enqueueJobs(on: $0) }
            try await MetricsFixture.waitUntilNoJobIsUnfinished(database)
            let response = try await LoopbackHTTP.get(port: port, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(response.headers)")
            for family in Self.contractFamilies {
                #expect(response.body.contains("\n# TYPE \(family) ") || response.body.hasPrefix("# TYPE \(family) ")
                            || response.body.contains("# HELP \(family) "), "no \(family) in:\n\(response.body)")
            }
            #expect(response.body.contains(#"reimburse_jobs{company="USMF",state="succeeded"} 2"#), "\(response.body)")
            #expect(response.body.contains(#"reimburse_jobs{company="FAIL",state="queued"} 0"#), "\(response.body)")
            #expect(response.body.contains(#"reimburse_oldest_runnable_job_age_seconds{company="USMF"} 0"#))
            #expect(response.body.contains(#"reimburse_reimbursements_total 3"#), "\(response.body)")
            #expect(response.body.contains(#"reimburse_build_info{version=""#))
            // No label with unbounded values: no customer account, no job id anywhere.
            for account in ["C-1", "C-2", "D-1"] {
                #expect(!response.body.contains("\"\(account)\""), "customer \(account) in a label")
            }
            #expect(!response.body.contains("job_id=") && !response.body.contains("customer="))

            let check = try await Promtool.checkMetrics(response.body)
            #expect(check.exitCode == 0, "promtool check metrics: \(check)")
            #expect(check.standardOutput.isEmpty && check.standardError.isEmpty, "promtool findings: \(check)")
        }
    }

    @Test func aPrometheusServerScrapesTheDaemonAndTheExampleAlertsFire() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try MetricsFixture.companies(on: $0) }
        let port = try LoopbackHTTP.freePort()
        let daemon = try await MetricsFixture.startDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"])
        do {
            try await PrometheusServer.withServer(scraping: port) { prometheus in
                let up = try await prometheus.waitFor(#"up{job="reimburse"}"#) { $0.first?.value == 1 }
                #expect(up.first?.value == 1, "the daemon was never scraped: \(up)")

                try await database.withConnection { try MetricsFixture.enqueueJobs(on: $0) }
                try await MetricsFixture.waitUntilNoJobIsUnfinished(database)
                let posted = try await database.withConnection {
                    try $0.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement")!
                }
                #expect(posted == 3)
                let reimbursements = try await prometheus.waitFor("reimburse_reimbursements_total") {
                    $0.first?.value == Double(posted)
                }
                #expect(reimbursements.first?.value == Double(posted), "\(reimbursements)")

                let succeeded = try await prometheus.waitFor(#"reimburse_jobs{state="succeeded"}"#) { $0.count == 3 }
                let byCompany = Dictionary(succeeded.map { ($0.labels["company"] ?? "?", $0.value) }) { $1 }
                #expect(byCompany == ["USMF": 2, "DEMF": 1, "FAIL": 0], "\(succeeded)")
                let customers = try await prometheus.query(#"reimburse_customers_total > 0"#)
                let counted = Dictionary(customers.map {
                    ("\($0.labels["outcome"] ?? "?")/\($0.labels["mode"] ?? "?")", $0.value)
                }) { $1 }
                #expect(counted == [
                    "reimbursed/post": 3, "on_hold/post": 1, "no_credit_balance/post": 1,
                    "reimbursed/preview": 2, "on_hold/preview": 1, "no_credit_balance/preview": 1,
                ], "\(customers)")
                let attempts = try await prometheus.query(#"sum(reimburse_job_attempts_total)"#)
                #expect(attempts.first?.value == 3, "\(attempts)")
                let finished = try await prometheus.query(
                    #"sum(reimburse_job_duration_seconds_count{operation="reimburse",outcome="succeeded"})"#)
                #expect(finished.first?.value == 3, "\(finished)")
                let buildInfo = try await prometheus.query("reimburse_build_info")
                #expect(buildInfo.first?.value == 1 && buildInfo.first?.labels["swift"] != nil, "\(buildInfo)")

                // A job failing: its company's number sequences are gone.
                try await database.withConnection { connection in
                    _ = try connection.execute("DELETE FROM number_sequence WHERE company_id = 'FAIL'")
                    _ = try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('FAIL')")
                }
                let failing = try await prometheus.waitFor(Self.jobFailedAlert) { !$0.isEmpty }
                #expect(failing.map { $0.labels["company"] } == ["FAIL"], "\(failing)")
                let kinds = try await prometheus.waitFor(#"reimburse_job_failures_total > 0"#) { !$0.isEmpty }
                #expect(kinds.map { $0.labels["kind"] } == ["job"], "\(kinds)")

                // A queue stuck: a job runnable for 20 minutes that no worker can claim, because
                // its company's queue row is held by another session.
                let holder = PostgresConnectionThread(conninfo: database.conninfo, name: "metrics-test-holder")
                try await holder.withConnection { connection in
                    _ = try connection.execute("BEGIN")
                    _ = try connection.execute("SELECT 1 FROM reimbursement_company_queue WHERE company_id = 'DEMF' FOR UPDATE")
                }
                try await database.withConnection { connection in
                    _ = try connection.execute(
                        "INSERT INTO reimbursement_job (company_id, run_at) VALUES ('DEMF', now() - interval '20 minutes')")
                }
                let stuck = try await prometheus.waitFor(Self.queueStuckAlert) { !$0.isEmpty }
                #expect(stuck.map { $0.labels["company"] } == ["DEMF"], "\(stuck)")
                #expect((stuck.first?.value ?? 0) >= 1200, "\(stuck)")
                _ = try? await holder.withConnection { _ = try $0.execute("ROLLBACK") }
                await holder.close()

                // A daemon down.
                daemon.send(SIGTERM)
                let stopped = try await daemon.wait(timeout: .seconds(30))
                #expect(stopped.exitCode == 0, "\(stopped)")
                let down = try await prometheus.waitFor(Self.daemonDownAlert) { !$0.isEmpty }
                #expect(down.count == 1, "\(down)")
            }
        } catch {
            daemon.send(SIGKILL)
            _ = try? await daemon.wait(timeout: .seconds(10))
            throw error
        }
        if kill(daemon.pid, 0) == 0 {
            daemon.send(SIGKILL)
            _ = try? await daemon.wait(timeout: .seconds(10))
        }
    }

    @Test func theReadmeAlertsArePromtoolValidRulesWithTheTestedExpressions() async throws {
        let readme = try String(contentsOfFile: TestServer.repositoryRoot + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "```yaml\ngroups:"),
              let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex)
        else {
            Issue.record("README.md has no ```yaml block of alert rules")
            return
        }
        let rules = String(readme[readme.index(start.lowerBound, offsetBy: 8)..<end.lowerBound])
        for expression in [Self.jobFailedAlert, Self.queueStuckAlert, Self.daemonDownAlert] {
            #expect(rules.contains("expr: \(expression)\n"), "README's rules lack \(expression)")
        }
        let path = NSTemporaryDirectory() + "reimburse-rules-\(getpid())-\(UUID().uuidString.prefix(8)).yml"
        try rules.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = try await ChildProcess("/bin/sh", ["-c", "exec promtool check rules \"$1\"", "promtool", path],
                                           environment: ChildProcess.baseEnvironment).wait(timeout: .seconds(60))
        #expect(check.exitCode == 0 && check.standardOutput.contains("SUCCESS: 3 rules found"), "\(check)")
    }

    @Test func aSlowDatabaseCannotHangAScrape() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try MetricsFixture.companies(on: $0) }
        let port = try LoopbackHTTP.freePort()
        try await MetricsFixture.withDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"]) { _ in
            let before = try await LoopbackHTTP.get(port: port, "/metrics")
            #expect(before.body.contains("reimburse_queue_query_up 1"), "\(before.body)")
            // The queue query reads company: a session holding it exclusively stalls that query.
            let holder = PostgresConnectionThread(conninfo: database.conninfo, name: "metrics-test-lock")
            try await holder.withConnection { connection in
                _ = try connection.execute("BEGIN")
                _ = try connection.execute("LOCK TABLE company IN ACCESS EXCLUSIVE MODE")
            }
            let started = ContinuousClock.now
            let during = try await LoopbackHTTP.get(port: port, "/metrics", timeout: .seconds(20))
            let took = ContinuousClock.now - started
            _ = try? await holder.withConnection { _ = try $0.execute("ROLLBACK") }
            await holder.close()
            #expect(took < .seconds(8), "a scrape took \(took) while the database hung")
            #expect(during.status == 200)
            #expect(during.body.contains("reimburse_queue_query_up 0"), "\(during.body)")
            #expect(!during.body.contains("reimburse_jobs{"), "stale queue gauges served: \(during.body)")
            #expect(during.body.contains("reimburse_reimbursements_total 0"), "the daemon's own families went missing")

            var after = try await LoopbackHTTP.get(port: port, "/metrics")
            let deadline = ContinuousClock.now + .seconds(15)
            while !after.body.contains("reimburse_queue_query_up 1") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                after = try await LoopbackHTTP.get(port: port, "/metrics")
            }
            #expect(after.body.contains("reimburse_queue_query_up 1"), "\(after.body)")
            #expect(after.body.contains(#"reimburse_jobs{company="USMF",state="queued"} 0"#), "\(after.body)")
        }
    }

    @Test func aBadOrBusyAddressStopsServeWithOneLine() async throws {
        let database = try await TestServer.database()
        for bad in ["9715", "127.0.0.1:0", "127.0.0.1:99999", "example.com:9715", "::1:9715"] {
            let outcome = try await Reimburse.run(
                "serve", "--metrics-address", bad, "--exit-when-idle", "--database-url", database.conninfo)
            #expect(outcome.exitCode == 78, "\(bad): \(outcome)")
            #expect(outcome.errorLines.count == 1 && outcome.standardError.contains("'\(bad)'"), "\(bad): \(outcome)")
        }
        let port = try LoopbackHTTP.freePort()
        try await MetricsFixture.withDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"]) { _ in
            let second = try await Reimburse.run(
                "serve", "--metrics-address", "127.0.0.1:\(port)", "--exit-when-idle", "--database-url", database.conninfo)
            #expect(second.exitCode == 78, "\(second)")
            #expect(second.errorLines.count == 1, "\(second)")
            #expect(second.standardError.contains(
                "cannot serve metrics on 127.0.0.1:\(port): bind: Address already in use"), "\(second)")
            #expect(!second.standardError.contains("ready: listening"), "the daemon started anyway: \(second)")
        }
    }
}

/// `promtool check metrics`, reading the scrape from stdin as Prometheus's docs show.
enum Promtool {
    static func checkMetrics(_ text: String) async throws -> ProcessOutcome {
        let path = NSTemporaryDirectory() + "reimburse-metrics-\(getpid())-\(UUID().uuidString.prefix(8)).txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let child = try ChildProcess(
            "/bin/sh", ["-c", "exec promtool check metrics < \"$1\"", "promtool", path],
            environment: ChildProcess.baseEnvironment)
        return try await child.wait(timeout: .seconds(60))
    }
}
