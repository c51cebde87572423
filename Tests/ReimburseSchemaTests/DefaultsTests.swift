import Foundation
import Postgres
import ReimburseTestSupport
import Testing

@Suite("Defaults of what users insert")
struct DefaultsTests {
    struct Sequence: Sendable, Equatable, CustomStringConvertible {
        var company: String
        var name: String
        var prefix: String
        var nextValue: Int64
        var width: Int
        var description: String { "\(company)/\(name) \(prefix) \(nextValue) \(width)" }
    }

    static func sequences(_ connection: PostgresConnection) throws -> [Sequence] {
        try connection.query(
            "SELECT company_id, name, prefix, next_value, width FROM number_sequence ORDER BY company_id, name"
        ) { row in
            Sequence(
                company: try row.decode(String.self, at: 0), name: try row.decode(String.self, at: 1),
                prefix: try row.decode(String.self, at: 2), nextValue: try row.decode(Int64.self, at: 3),
                width: try row.decode(Int.self, at: 4))
        }
    }

    static func expectedSequences(_ company: String) -> [Sequence] {
        [
            Sequence(company: company, name: "one_time_vendor", prefix: "OTV-", nextValue: 1, width: 8),
            Sequence(company: company, name: "payment_voucher", prefix: "PV-", nextValue: 1, width: 8),
            Sequence(company: company, name: "reimbursement_voucher", prefix: "RV-", nextValue: 1, width: 8),
            Sequence(company: company, name: "vendor_invoice", prefix: "VI-", nextValue: 1, width: 8),
        ]
    }

    @Test func aNewCompanyGetsItsFourNumberSequences() async throws {
        let database = try await TestServer.database()
        let (sequences, queueRows, company) = try await database.withConnection { connection in
            guard try Self.sequences(connection).isEmpty else { throw TestFailure("the template has sequences") }
            try connection.execute(
                "INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ($1, $2, $3)",
                "USMF", "USD", "2110")
            return (try Self.sequences(connection),
                    try connection.strings("SELECT company_id FROM reimbursement_company_queue"),
                    try connection.execute(
                        "SELECT minimum_reimbursement::text, reimbursement_payment_days FROM company WHERE id = 'USMF'"
                    ).first.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) })
        }
        #expect(sequences == Self.expectedSequences("USMF"))
        #expect(queueRows == ["USMF"])
        #expect(company?.0 == "0.000000")
        #expect(company?.1 == 0)
    }

    @Test func aBulkLoadOfCompaniesGetsSequencesForEach() async throws {
        let database = try await TestServer.database()
        let codes = (1...25).map { "CO\($0)" }
        let (sequences, numbers) = try await database.withConnection { connection in
            try connection.execute(
                """
                INSERT INTO company (id, accounting_currency, vendor_summary_account)
                SELECT code, 'EUR', '2110' FROM unnest($1::text[]) AS code
                """,
                codes)
            // What the first numbers look like: prefix || lpad(value, width, '0').
            let numbers = try connection.strings(
                """
                SELECT prefix || lpad(next_value::text, width, '0') FROM number_sequence
                 WHERE company_id = 'CO1' ORDER BY name
                """)
            return (try Self.sequences(connection), numbers)
        }
        #expect(sequences == codes.sorted().flatMap(Self.expectedSequences))
        #expect(numbers == ["OTV-00000001", "PV-00000001", "RV-00000001", "VI-00000001"])
    }

    @Test func sequencesGoWithTheirCompanyAndMayBeConfigured() async throws {
        let database = try await TestServer.database()
        let (after, remaining) = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try Fixture.company("B", on: connection)
            try connection.execute(
                "UPDATE number_sequence SET prefix = $1, width = $2, next_value = $3 WHERE company_id = 'A' AND name = 'reimbursement_voucher'",
                "USRV-", 10, 42)
            let after = try connection.strings(
                "SELECT prefix || lpad(next_value::text, width, '0') FROM number_sequence WHERE company_id = 'A' AND name = 'reimbursement_voucher'")
            try connection.execute("DELETE FROM company WHERE id = 'B'")
            return (after, try connection.count("SELECT count(*) FROM number_sequence WHERE company_id = 'B'"))
        }
        #expect(after == ["USRV-0000000042"])
        #expect(remaining == 0)
    }

    struct JobRow: Sendable {
        var id: Int64
        var mode: String
        var state: String
        var debitHandling: String
        var summarize: Bool
        var maxAttempts: Int
        var attempts: Int
        var priority: Int
        var requestedBy: String
        var currentUser: String
        var cancelRequested: Bool
        var customersDone: Int
        var nullColumns: [String]
        var runAtIsNow: Bool
        var createdAtIsNow: Bool
    }

    @Test func theMinimalJobInsertWorksWithTheContractDefaults() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection -> JobRow in
            try Fixture.company("X", on: connection)
            return try connection.transaction { connection in
                try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('X')")
                let row = try unwrap(try connection.execute(
                    """
                    SELECT id, mode, state, debit_handling, summarize, max_attempts, attempts, priority,
                           requested_by, current_user::text, cancel_requested, customers_done,
                           ARRAY[CASE WHEN customer_accounts IS NULL THEN 'customer_accounts' END,
                                 CASE WHEN customer_groups IS NULL THEN 'customer_groups' END,
                                 CASE WHEN posting_date IS NULL THEN 'posting_date' END,
                                 CASE WHEN approves_job_id IS NULL THEN 'approves_job_id' END,
                                 CASE WHEN dedupe_key IS NULL THEN 'dedupe_key' END,
                                 CASE WHEN started_at IS NULL THEN 'started_at' END,
                                 CASE WHEN finished_at IS NULL THEN 'finished_at' END,
                                 CASE WHEN customers_total IS NULL THEN 'customers_total' END,
                                 CASE WHEN last_error IS NULL THEN 'last_error' END,
                                 CASE WHEN result IS NULL THEN 'result' END,
                                 CASE WHEN lease_owner IS NULL THEN 'lease_owner' END,
                                 CASE WHEN lease_token IS NULL THEN 'lease_token' END,
                                 CASE WHEN lease_expires_at IS NULL THEN 'lease_expires_at' END,
                                 CASE WHEN checkpoint_customer IS NULL THEN 'checkpoint_customer' END],
                           run_at = now(), created_at = now()
                      FROM reimbursement_job WHERE company_id = 'X'
                    """).first, "the job row")
                let nulls = try row.decode([String?].self, at: 12).compactMap { $0 }
                return JobRow(
                    id: try row.decode(Int64.self, at: 0), mode: try row.decode(String.self, at: 1),
                    state: try row.decode(String.self, at: 2), debitHandling: try row.decode(String.self, at: 3),
                    summarize: try row.decode(Bool.self, at: 4), maxAttempts: try row.decode(Int.self, at: 5),
                    attempts: try row.decode(Int.self, at: 6), priority: try row.decode(Int.self, at: 7),
                    requestedBy: try row.decode(String.self, at: 8), currentUser: try row.decode(String.self, at: 9),
                    cancelRequested: try row.decode(Bool.self, at: 10), customersDone: try row.decode(Int.self, at: 11),
                    nullColumns: nulls, runAtIsNow: try row.decode(Bool.self, at: 13),
                    createdAtIsNow: try row.decode(Bool.self, at: 14))
            }
        }
        #expect(job.id >= 1)
        #expect(job.mode == "post")
        #expect(job.state == "queued")
        #expect(job.debitHandling == "skip")
        #expect(job.summarize == true)
        #expect(job.maxAttempts == 5)
        #expect(job.attempts == 0)
        #expect(job.priority == 0)
        #expect(job.requestedBy == job.currentUser)
        #expect(!job.requestedBy.isEmpty)
        #expect(job.cancelRequested == false)
        #expect(job.customersDone == 0)
        #expect(job.nullColumns.count == 14, "not NULL by default: \(job.nullColumns)")
        #expect(job.runAtIsNow, "run_at defaults to now()")
        #expect(job.createdAtIsNow, "created_at defaults to now()")
    }

    @Test func theIdIsGeneratedAndReturned() async throws {
        let database = try await TestServer.database()
        let ids = try await database.withConnection { connection in
            try Fixture.company("X", on: connection)
            return try (0..<3).map { _ in
                try unwrap(try connection.queryValue(
                    Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ($1) RETURNING id", "X"), "an id")
            }
        }
        #expect(Set(ids).count == 3)
        #expect(ids == ids.sorted())
    }

    @Test func aDedupeKeyIsFreeAgainOnceTheJobFinishedAndOnConflictMakesARepeatANoOp() async throws {
        let database = try await TestServer.database()
        let (repeated, afterFinish, total) = try await database.withConnection { connection in
            try Fixture.company("X", on: connection)
            let insert = """
                INSERT INTO reimbursement_job (company_id, dedupe_key) VALUES ('X', 'month-end')
                ON CONFLICT DO NOTHING RETURNING id
                """
            let first = try connection.execute(insert).rowCount
            let repeated = try connection.execute(insert).rowCount
            try connection.execute("UPDATE reimbursement_job SET state = 'succeeded' WHERE company_id = 'X'")
            let afterFinish = try connection.execute(insert).rowCount
            guard first == 1 else { throw TestFailure("the first enqueue inserted \(first) rows") }
            return (repeated, afterFinish, try connection.count("SELECT count(*) FROM reimbursement_job"))
        }
        #expect(repeated == 0)
        #expect(afterFinish == 1)
        #expect(total == 2)
    }

    @Test func updatedAtFollowsEveryUpdate() async throws {
        let database = try await TestServer.database()
        let moved = try await database.withConnection { connection -> Bool in
            try Fixture.company("X", on: connection)
            try connection.execute(
                "INSERT INTO reimbursement_job (company_id, updated_at) VALUES ('X', now() - interval '1 hour')")
            try connection.execute("UPDATE reimbursement_job SET priority = 3 WHERE company_id = 'X'")
            return try connection.queryValue(
                Bool.self, "SELECT updated_at > now() - interval '1 minute' FROM reimbursement_job") ?? false
        }
        #expect(moved)
    }
}
