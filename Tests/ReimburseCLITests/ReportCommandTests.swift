import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("reimburse report")
struct ReportCommandTests {
    static let header = "company_id,reimbursement_id,job_id,posting_date,voucher,customer_account,customer_name,"
        + "vendor_account,vendor_name,one_time_vendor,currency,amount,amount_accounting,invoice_number,"
        + "open_amount,status"

    @Test func csvHasAHeaderAndQuotesPerRFC4180() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { try PostedRows.insert(on: $0) }
        let outcome = try await Reimburse.run("report", "--format", "csv", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let records = outcome.standardOutput.components(separatedBy: "\r\n")
        #expect(records == [
            Self.header,
            "USMF,1,\(job),2024-03-31,RV-1,C-1,\"Smith, Jones & \"\"Partners\"\"\",V-1,\"Smith, Jones & \"\"Partners\"\"\","
                + "false,USD,1234.50,1234.50,VI-1,1000.00,partially_paid",
            "USMF,2,\(job),2024-04-02,RV-2,C-2,Plain Name,OTV-1,Plain Name,true,USD,0.01,0.01,VI-2,0.00,paid",
            "",
        ], "\(outcome)")
    }

    @Test func jsonIsOneObjectPerLineWithAmountsAsStrings() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { try PostedRows.insert(on: $0) }
        let outcome = try await Reimburse.run(
            "report", "--format", "json", "--company", "USMF", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let lines = outcome.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["customer_name"] as? String == PostedRows.awkwardName)
        #expect(first["amount"] as? String == "1234.50")
        #expect(first["open_amount"] as? String == "1000.00")
        #expect(first["job_id"] as? Int64 == job)
        #expect(first["one_time_vendor"] as? Bool == false)
        #expect(first["status"] as? String == "partially_paid")
        #expect(lines[0].hasPrefix("{\"company_id\":\"USMF\",\"reimbursement_id\":1,"))
    }

    @Test func tableAlignsAmountsToTheRight() async throws {
        let database = try await TestServer.database()
        _ = try await database.withConnection { try PostedRows.insert(on: $0) }
        let outcome = try await Reimburse.run("report", "--database-url", database.conninfo)
        #expect(outcome.exitCode == 0, "\(outcome)")
        let lines = outcome.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(outcome)")
        #expect(lines[0].hasPrefix("company_id  job_id  posting_date"))
        #expect(lines.last == "(2 reimbursements)")
        func end(of text: String, in line: String) -> Int? {
            line.range(of: text).map { line.distance(from: line.startIndex, to: $0.upperBound) }
        }
        let big = try #require(end(of: "1234.50", in: lines[2]))
        let small = try #require(end(of: "    0.01", in: lines[3]))
        #expect(big == small, "\(outcome)")
        #expect(end(of: "amount", in: lines[0]) == big)
    }

    @Test func filtersByDateJobAndCompany() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { try PostedRows.insert(on: $0) }
        let fromApril = try await Reimburse.run(
            "report", "--format", "csv", "--from", "2024-04-01", "--database-url", database.conninfo)
        #expect(fromApril.standardOutput.components(separatedBy: "\r\n").count == 3, "\(fromApril)")
        #expect(fromApril.standardOutput.contains(",C-2,"))
        let untilMarch = try await Reimburse.run(
            "report", "--format", "csv", "--to", "2024-03-31", "--job", String(job), "--database-url", database.conninfo)
        #expect(untilMarch.standardOutput.contains(",C-1,") && !untilMarch.standardOutput.contains(",C-2,"))
        // A company with nothing reimbursed is an empty report; one that does not exist is
        // bad data (exit 65, issue 19 item 5).
        try await database.withConnection { try Fixtures.company("DEMF", currency: "EUR", on: $0) }
        let otherCompany = try await Reimburse.run(
            "report", "--format", "json", "--company", "DEMF", "--database-url", database.conninfo)
        #expect(otherCompany.exitCode == 0 && otherCompany.standardOutput.isEmpty, "\(otherCompany)")
    }
}
