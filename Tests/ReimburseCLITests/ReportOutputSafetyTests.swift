import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 12, item 6: report output is data, not instructions. Names that are spreadsheet
/// formulas or terminal escape sequences are neutralised in CSV (OWASP's leading quote) and
/// shown escaped in the table; JSON keeps them exact.
@Suite("report output is data, not instructions")
struct ReportOutputSafetyTests {
    @Test func csvPutsAQuoteBeforeEveryFormulaStartButNotBeforeOurNumbers() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { try HostileRows.insert(on: $0) }
        let outcome = try await Reimburse.run("report", "--format", "csv", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let records = outcome.standardOutput.components(separatedBy: "\r\n")
        #expect(records == [
            ReportCommandTests.header,
            "USMF,1,\(job),2024-03-31,RV-1,C-1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",V-1,\"Pay\rback\","
                + "false,USD,10.00,10.00,VI-1,10.00,open",
            "USMF,2,\(job),2024-03-31,RV-2,C-2,\"'@SUM(1+1)\",V-2,\"'\rSUM\",false,USD,20.00,20.00,VI-2,20.00,open",
            // The escape sequence starts with ESC, not a formula character: CSV keeps it exact.
            // The negative open amount is our own number, written as the number it is.
            "USMF,3,\(job),2024-03-31,RV-3,C-3,\u{1B}[2J\u{1B}[31mRED,V-3,\"'-2+3\",false,USD,30.00,30.00,VI-3,"
                + "-10.00,paid",
            "USMF,4,\(job),2024-03-31,RV-4,C-4,Evil\u{202E}lanigiro,V-4,Plain,false,USD,40.00,40.00,VI-4,40.00,open",
            "",
        ], "\(outcome)")
    }

    @Test func tableShowsControlAndBidiCharactersEscaped() async throws {
        let database = try await TestServer.database()
        _ = try await database.withConnection { try HostileRows.insert(on: $0) }
        let outcome = try await Reimburse.run("report", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let output = outcome.standardOutput
        // Nothing the terminal would act on reaches it.
        #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" || $0 == "\u{202E}" }, "\(outcome)")
        for shown in ["\\u{1B}[2J\\u{1B}[31mRED", "Evil\\u{202E}lanigiro", "Pay\\rback", "\\rSUM",
                      HostileRows.hyperlink, HostileRows.atSum, "-2+3"] {
            #expect(output.contains(shown), "missing \(shown) in \(outcome)")
        }
        // Widths count what is shown: the status column starts at the same place on every row.
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(outcome)")
        let statusColumns = lines[2...5].map { line -> Int? in
            let status = line.range(of: "open", options: .backwards) ?? line.range(of: "paid", options: .backwards)
            return status.map { line.distance(from: line.startIndex, to: $0.lowerBound) }
        }
        #expect(Set(statusColumns).count == 1, "\(statusColumns) \(outcome)")
    }

    @Test func jsonKeepsEveryNameExact() async throws {
        let database = try await TestServer.database()
        _ = try await database.withConnection { try HostileRows.insert(on: $0) }
        let outcome = try await Reimburse.run("report", "--format", "json", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let objects = try outcome.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["customer_name"] as? String } == [
            HostileRows.hyperlink, HostileRows.atSum, HostileRows.ansi, HostileRows.bidi,
        ])
        #expect(objects.map { $0["vendor_name"] as? String } == [
            HostileRows.vendorWithReturn, HostileRows.vendorStartingWithReturn, HostileRows.vendorStartingWithMinus,
            "Plain",
        ])
        #expect(objects[2]["open_amount"] as? String == "-10.00")
        // Exact once decoded, and escaped in the text, so a terminal showing it is safe too.
        #expect(!outcome.standardOutput.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        #expect(outcome.standardOutput.contains("\\u001b[2J") && outcome.standardOutput.contains("\\u202e"))
    }

    /// `enqueue --wait` prints the job's summary (stdout) and its last_error (stderr), both
    /// read from the database.
    @Test func waitShowsTheJobsErrorAndSummaryEscaped() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixtures.company("USMF", on: $0) }
        let child = try Reimburse.start(["enqueue", "--company", "USMF", "--wait", "--database-url", database.conninfo])
        let printed = try await child.waitForOutput(containing: "\n", timeout: .seconds(30))
        #expect(printed, "no job id printed: \(child.standardError)")
        let id = try #require(Int64(child.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        try await database.withConnection { connection in
            _ = try connection.execute("""
                UPDATE reimbursement_job
                   SET state = 'failed', finished_at = now(),
                       last_error = E'boom \\x1b]0;owned\\x07\\x1b[2J done',
                       result = '{"customers": {"selected": 1, "skipped": {"\\u001b[31mred": 1}}}'
                 WHERE id = $1
                """, id)
        }
        let outcome = try await child.wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 1, "\(outcome)")
        #expect(!(outcome.standardOutput + outcome.standardError).unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" },
                "\(outcome)")
        #expect(outcome.standardError.contains("failed: boom \\u{1B}]0;owned\\u{7}\\u{1B}[2J done"), "\(outcome)")
        #expect(outcome.standardOutput.contains("1 skipped (\\u{1B}[31mred 1)"), "\(outcome)")
    }
}
