import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 8: NOTIFY reimbursement_job_finished when a job finishes, with a JSON
/// payload, so that an ERP can LISTEN instead of polling (sql/0017, sql/README.md section 7).
@Suite("NOTIFY when a job finishes")
struct FinishNotificationTests {
    @Test func eachFinishedJobNotifiesOnceWithItsIdCompanyAndState() async throws {
        let database = try await TestServer.database()
        let (first, second) = try await database.withNewConnection { connection in
            try Fixture.company("N1", on: connection)
            let first = try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('N1') RETURNING id")!
            let second = try connection.queryValue(
                Int64.self, "INSERT INTO reimbursement_job (company_id, mode) VALUES ('N1', 'preview') RETURNING id")!
            return (first, second)
        }
        try await database.withConnection { try $0.listen("reimbursement_job_finished") }
        try await database.withNewConnection { connection in
            // Running is not finished; progress and other columns say nothing.
            try connection.execute("UPDATE reimbursement_job SET state = 'running', started_at = now() WHERE id = $1", first)
            try connection.execute("UPDATE reimbursement_job SET customers_done = 5 WHERE id = $1", first)
            try connection.execute("UPDATE reimbursement_job SET state = 'succeeded', finished_at = now() WHERE id = $1", first)
            try connection.execute("UPDATE reimbursement_job SET state = 'cancelled', finished_at = now() WHERE id = $1", second)
            // Touching a finished job again does not notify again.
            try connection.execute("UPDATE reimbursement_job SET last_error = 'note' WHERE id = $1", first)
        }
        let received = try await database.withConnection { connection in
            var payloads: [String] = []
            while let notification = try connection.waitForNotification(timeout: .milliseconds(400)) {
                #expect(notification.channel == "reimbursement_job_finished")
                payloads.append(notification.payload)
            }
            return payloads
        }
        let objects = received.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 2, "\(received)")
        #expect(objects.first?["id"] as? Int == Int(first) && objects.first?["state"] as? String == "succeeded", "\(received)")
        #expect(objects.first?["company_id"] as? String == "N1" && objects.first?["mode"] as? String == "post")
        #expect(objects.last?["id"] as? Int == Int(second) && objects.last?["state"] as? String == "cancelled", "\(received)")
        #expect(objects.last?.keys.contains("retries_job_id") == true)
    }
}
