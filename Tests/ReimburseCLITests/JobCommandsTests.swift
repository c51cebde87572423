import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 6: jobs listed, shown, cancelled and retried from the command line; status as
/// JSON; everything a person reads escaped for the terminal.
@Suite("reimburse jobs, job show, cancel, retry")
struct JobCommandsTests {
    private func json(_ line: Substring) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]) ?? [:]
    }

    /// A job that failed because the company lost its vendor invoice sequence, with a
    /// selection and options a retry must copy.
    private func failedJob() async throws -> (TestDatabase, Int64) {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("USMF", on: connection)
            try LedgerFixture.customer("USMF", "C-1", on: connection)
            try LedgerFixture.transaction("USMF", "C-1", amount: "-40.00", on: connection)
            try connection.execute("DELETE FROM number_sequence WHERE company_id = 'USMF' AND name = 'vendor_invoice'")
            return try LedgerFixture.job(
                "USMF", accounts: ["C-1", "C-2"], debitHandling: "include", summarize: false, on: connection)
        }
        let served = try await Reimburse.run("serve", "--exit-when-idle", "--database-url", database.conninfo)
        #expect(served.exitCode == 0, "\(served)")
        return (database, job)
    }

    @Test func retryRunsAFailedJobAgainWithTheSameParametersLinkedToIt() async throws {
        let (database, failed) = try await failedJob()
        let shown = try await Reimburse.run("job", "show", String(failed), "--database-url", database.conninfo)
        #expect(shown.exitCode == 0, "\(shown)")
        #expect(shown.standardOutput.contains("state:          failed"), "\(shown)")
        #expect(shown.standardOutput.contains("has no number sequence 'vendor_invoice'"), "\(shown)")
        #expect(shown.standardOutput.contains("reimburse retry \(failed)"), "\(shown)")
        #expect(shown.standardOutput.contains("attempt  worker"), "\(shown)")

        let retried = try await Reimburse.run("retry", String(failed), "--database-url", database.conninfo)
        #expect(retried.exitCode == 0, "\(retried)")
        let retry = try #require(Int64(retried.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)), "\(retried)")
        #expect(retry != failed)
        let copied = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT n.retries_job_id = o.id, n.customer_accounts = o.customer_accounts,
                       n.debit_handling = o.debit_handling, n.summarize = o.summarize,
                       n.posting_date = o.posting_date, n.state
                  FROM reimbursement_job n, reimbursement_job o WHERE n.id = $1 AND o.id = $2
                """, retry, failed
            ) { row in
                let same = try (0..<5).allSatisfy { try row.decode(Bool.self, at: $0) }
                let state = try row.decode(String.self, at: 5)
                return same && state == "queued"
            }.first
        }
        #expect(copied == true)
        // Retrying again while the retry is unfinished adds nothing.
        let again = try await Reimburse.run("retry", String(failed), "--database-url", database.conninfo)
        #expect(again.exitCode == 0 && again.standardOutput == "\(retry)\n", "\(again)")

        try await database.withConnection { connection in
            _ = try connection.execute("""
                INSERT INTO number_sequence (company_id, name, prefix, next_value, width)
                VALUES ('USMF', 'vendor_invoice', 'VI-', 1, 6)
                """)
        }
        let served = try await Reimburse.run("serve", "--exit-when-idle", "--database-url", database.conninfo)
        #expect(served.exitCode == 0, "\(served)")
        let list = try await Reimburse.run("jobs", "--format", "json", "--database-url", database.conninfo)
        let rows = list.standardOutput.split(separator: "\n").map(json)
        #expect(rows.count == 2, "\(list)")
        #expect(rows.first?["id"] as? Int == Int(retry) && rows.first?["state"] as? String == "succeeded", "\(list)")
        #expect(rows.first?["retries_job_id"] as? Int == Int(failed), "\(list)")
        #expect(rows.last?["state"] as? String == "failed", "\(list)")

        // A succeeded job is not retried; an unknown one is bad data.
        let succeeded = try await Reimburse.run("retry", String(retry), "--database-url", database.conninfo)
        #expect(succeeded.exitCode == 65 && succeeded.standardError.contains("only a failed or cancelled job"), "\(succeeded)")
        let showJSON = try await Reimburse.run("job", "show", String(failed), "--format", "json", "--database-url", database.conninfo)
        let object = json(showJSON.standardOutput.dropLast())
        #expect((object["retried_by"] as? [Int]) == [Int(retry)], "\(showJSON)")
        #expect((object["attempt_log"] as? [[String: Any]])?.first?["outcome"] as? String == "failed", "\(showJSON)")
    }

    @Test func jobsFiltersByCompanyAndState() async throws {
        let (database, failed) = try await failedJob()
        try await database.withConnection { connection in
            try LedgerFixture.company("DEMF", currency: "EUR", on: connection)
            _ = try LedgerFixture.job("DEMF", on: connection)
        }
        let failedOnly = try await Reimburse.run("jobs", "--state", "failed", "--database-url", database.conninfo)
        #expect(failedOnly.exitCode == 0, "\(failedOnly)")
        let lines = failedOnly.standardOutput.split(separator: "\n")
        #expect(lines.count == 3 && lines[2].hasPrefix(" \(failed)") || lines[2].hasPrefix("\(failed)"), "\(failedOnly)")
        #expect(lines[0].contains("state") && lines[2].contains("failed") && lines[2].contains("USMF"), "\(failedOnly)")
        let demf = try await Reimburse.run("jobs", "--company", "DEMF", "--format", "json", "--database-url", database.conninfo)
        #expect(demf.standardOutput.split(separator: "\n").map(json).map { $0["company_id"] as? String } == ["DEMF"], "\(demf)")
        let badState = try await Reimburse.run("jobs", "--state", "done", "--database-url", database.conninfo)
        #expect(badState.exitCode == 64, "\(badState)")
    }

    @Test func cancelAsksForQueuedAndRunningJobsOnly() async throws {
        let database = try await TestServer.database()
        let (queued, finished) = try await database.withConnection { connection in
            try LedgerFixture.company("USMF", on: connection)
            let queued = try LedgerFixture.job("USMF", on: connection)
            let finished = try LedgerFixture.job("USMF", on: connection)
            try connection.execute("UPDATE reimbursement_job SET state = 'succeeded', finished_at = now() WHERE id = $1", finished)
            return (queued, finished)
        }
        let cancel = try await Reimburse.run("cancel", String(queued), "--database-url", database.conninfo)
        #expect(cancel.exitCode == 0 && cancel.standardOutput.contains("cancel requested for job \(queued) (queued)"), "\(cancel)")
        let asked = try await database.withConnection {
            try $0.queryValue(Bool.self, "SELECT cancel_requested FROM reimbursement_job WHERE id = $1", queued)
        }
        #expect(asked == true)
        let served = try await Reimburse.run("serve", "--exit-when-idle", "--database-url", database.conninfo)
        #expect(served.exitCode == 0, "\(served)")
        let again = try await Reimburse.run("cancel", String(queued), "--database-url", database.conninfo)
        #expect(again.exitCode == 0 && again.standardOutput.contains("already cancelled"), "\(again)")
        let done = try await Reimburse.run("cancel", String(finished), "--database-url", database.conninfo)
        #expect(done.exitCode == 65 && done.standardError.contains("already succeeded"), "\(done)")
    }

    @Test func statusAsJSONHasTypedNumbers() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("USMF", on: connection)
            _ = try LedgerFixture.job("USMF", on: connection)
        }
        let outcome = try await Reimburse.run("status", "--format", "json", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let object = json(outcome.standardOutput.dropLast())
        #expect(object["company"] as? String == "USMF", "\(outcome)")
        #expect(object["queued"] as? Int == 1 && object["failed_24h"] as? Int == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("\"running_job\":null"), "\(outcome)")
    }

    /// A last_error with an escape sequence and a bidi override is shown, not obeyed.
    @Test func jobOutputIsEscapedForTheTerminal() async throws {
        let (database, failed) = try await failedJob()
        try await database.withConnection { connection in
            _ = try connection.execute(
                "UPDATE reimbursement_job SET last_error = $1 WHERE id = $2", "boom \u{1B}[2J \u{202E}gnp.exe", failed)
        }
        for arguments in [["jobs"], ["job", "show", String(failed)]] {
            let outcome = try await Reimburse.start(arguments + ["--database-url", database.conninfo]).wait(timeout: .seconds(30))
            #expect(outcome.exitCode == 0, "\(outcome)")
            #expect(outcome.standardOutput.contains("boom \\u{1B}[2J \\u{202E}gnp.exe"), "\(outcome)")
            #expect(!outcome.standardOutput.contains("\u{1B}") && !outcome.standardOutput.contains("\u{202E}"), "\(outcome)")
        }
        let asJSON = try await Reimburse.run("jobs", "--format", "json", "--database-url", database.conninfo)
        #expect(asJSON.standardOutput.contains("boom \\u001b[2J \\u202egnp.exe"), "\(asJSON)")
        #expect(json(asJSON.standardOutput.split(separator: "\n")[0])["last_error"] as? String == "boom \u{1B}[2J \u{202E}gnp.exe")
    }
}
