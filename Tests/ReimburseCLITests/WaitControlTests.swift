import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 7: `enqueue --wait` with no daemon says so, stops on Ctrl-C or --timeout with
/// one line saying the job goes on, and its progress line (percent, rate, estimate) fits a
/// narrow terminal.
@Suite("reimburse enqueue --wait: interrupt, timeout, hint, progress")
struct WaitControlTests {
    private func errorLines(_ outcome: ProcessOutcome) -> [Substring] {
        outcome.errorLines.filter { $0.hasPrefix("reimburse: error: ") }
    }

    @Test func ctrlCSaysTheJobGoesOnAndHowToCancelIt() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let child = try Reimburse.start(["enqueue", "--company", "USMF", "--wait", "--database-url", database.conninfo])
        #expect(try await child.waitForOutput(containing: "\n", timeout: .seconds(30)))
        let id = try #require(Int64(child.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(500))
        child.send(SIGINT)
        let outcome = try await child.wait(timeout: .seconds(10))
        #expect(outcome.exitCode == 130, "\(outcome)")
        let lines = errorLines(outcome)
        #expect(lines.count == 1, "\(outcome)")
        #expect(lines.first?.contains("job \(id) is still queued") == true, "\(outcome)")
        #expect(lines.first?.contains("reimburse cancel \(id)") == true, "\(outcome)")
        let state = try await database.withConnection {
            try $0.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", id)
        }
        #expect(state == "queued", "the job is left to run")
    }

    @Test func timeoutStopsFollowingAndNoDaemonIsPointedOut() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let started = ContinuousClock.now
        let outcome = try await Reimburse.run(
            "enqueue", "--company", "USMF", "--wait", "--timeout", "7", "--database-url", database.conninfo)
        let elapsed = ContinuousClock.now - started
        #expect(outcome.exitCode == 75, "\(outcome)")
        #expect(elapsed >= .seconds(7) && elapsed < .seconds(20), "\(elapsed)")
        #expect(outcome.standardError.contains("has not been claimed after 5s and no daemon is connected"), "\(outcome)")
        #expect(outcome.standardError.contains("start 'reimburse serve'"), "\(outcome)")
        let lines = errorLines(outcome)
        #expect(lines.count == 1 && lines[0].contains("--timeout 7s ran out: job"), "\(outcome)")
        let missing = try await Reimburse.run("enqueue", "--company", "USMF", "--timeout", "3", "--database-url", database.conninfo)
        #expect(missing.exitCode == 64 && missing.standardError.contains("--timeout only applies with --wait"), "\(missing)")
    }

    /// Under a pseudo-terminal 40 columns wide (script(1)), the redrawn progress line shows
    /// percent, rate and time left and never exceeds 39 columns.
    @Test func progressFitsANarrowTerminal() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let binary = try ReimburseBinary.require()
        let command = "stty cols 40 rows 10; exec '\(binary)' enqueue --company USMF --wait --database-url '\(database.conninfo)'"
        let child = try ChildProcess("/usr/bin/script", ["-qfec", command, "/dev/null"], environment: ChildProcess.baseEnvironment)
        #expect(try await child.waitForOutput(containing: "job 1 queued", timeout: .seconds(30)), "\(child.standardOutput)")
        let update: @Sendable (String) async throws -> Void = { sql in
            try await database.withConnection { _ = try $0.execute(sql) }
        }
        try await update("UPDATE reimbursement_job SET state = 'running', started_at = now(), customers_total = 100000, customers_done = 1000")
        try await Task.sleep(for: .milliseconds(900))
        try await update("UPDATE reimbursement_job SET customers_done = 21000")
        try await Task.sleep(for: .milliseconds(900))
        try await update("UPDATE reimbursement_job SET customers_done = 42000")
        try await Task.sleep(for: .milliseconds(600))
        try await update("""
            UPDATE reimbursement_job SET state = 'succeeded', finished_at = now(), customers_done = 100000,
                   result = '{"customers": {"selected": 100000, "reimbursed": 0, "no_credit_balance": 100000}, "reimbursements": 0}'
            """)
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 0, "\(outcome)")
        let segments = outcome.standardOutput
            .replacingOccurrences(of: "\u{1B}[K", with: "")
            .replacingOccurrences(of: "\r\n", with: "\n")
            .split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        let progress = segments.filter { $0.contains("% ") && !$0.contains("succeeded") }
        #expect(!progress.isEmpty, "\(outcome)")
        #expect(progress.allSatisfy { $0.count <= 39 }, "\(progress)")
        #expect(progress.contains { $0.contains("42% ") || $0.contains("21% ") }, "\(progress)")
        #expect(progress.contains { $0.contains("/s") }, "the rate, once two readings apart: \(progress)")
    }
}
