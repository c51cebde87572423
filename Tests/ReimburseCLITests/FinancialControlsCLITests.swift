import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// PRODUCT.md section 6 from the command line: four eyes through `reimburse enqueue --approve`
/// by the same and by another login, and the company's day under `reimburse serve` whatever
/// the daemon host's `TZ`, the session's `PGTZ` and the database's `TimeZone` say.
@Suite("Financial controls from the command line")
struct FinancialControlsCLITests {
    static func companyWithCredit(_ id: String, timeZone: String = "UTC", on connection: PostgresConnection) throws {
        try Fixtures.company(id, on: connection)
        try connection.execute("UPDATE company SET time_zone = $1 WHERE id = $2", timeZone, id)
        try connection.execute("INSERT INTO customer (company_id, account, name, currency) VALUES ($1, 'C-1', 'A', 'USD')", id)
        try connection.execute("""
            INSERT INTO customer_transaction (company_id, customer_account, kind, currency, amount, amount_accounting, ledger_account)
            VALUES ($1, 'C-1', 'payment', 'USD', -25.50, -25.50, '1200')
            """, id)
    }

    static func serve(_ database: TestDatabase, environment: [String: String] = [:]) async throws -> ProcessOutcome {
        try await Reimburse.run(
            "serve", "--exit-when-idle", "--workers", "1", "--database-url", database.conninfo, environment: environment)
    }

    @Test func approveBySameLoginIsRefusedAndByAnotherPosts() async throws {
        let database = try await TestServer.database()
        let alice = "cli_alice_\(UInt32.random(in: 0...UInt32.max))"
        let bob = "cli_bob_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try Self.companyWithCredit("USMF", on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'USMF'")
            for login in [alice, bob] {
                try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_enqueue")
                try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'USMF')", login)
            }
        }
        let asAlice = "\(database.conninfo) user=\(alice)"
        let asBob = "\(database.conninfo) user=\(bob)"

        let plain = try await Reimburse.run("enqueue", "--company", "USMF", "--database-url", asAlice)
        #expect(plain.exitCode == 65, "\(plain)")
        #expect(plain.errorLines.count == 1, "\(plain)")
        #expect(plain.standardError.contains("company USMF requires approval (four eyes)"), "\(plain)")

        let previewRun = try await Reimburse.run("enqueue", "--company", "USMF", "--preview", "--database-url", asAlice)
        #expect(previewRun.exitCode == 0, "\(previewRun)")
        let preview = try #require(Int64(previewRun.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        let served = try await Self.serve(database)
        #expect(served.exitCode == 0, "\(served)")

        let own = try await Reimburse.run("enqueue", "--company", "USMF", "--approve", String(preview), "--database-url", asAlice)
        #expect(own.exitCode == 65, "\(own)")
        #expect(own.errorLines.count == 1, "\(own)")
        #expect(own.standardError.contains("preview job \(preview) was requested by \(alice), who cannot approve it too"), "\(own)")

        let other = try await Reimburse.run("enqueue", "--company", "USMF", "--approve", String(preview), "--database-url", asBob)
        #expect(other.exitCode == 0, "\(other)")
        let servedAgain = try await Self.serve(database)
        #expect(servedAgain.exitCode == 0, "\(servedAgain)")

        let report = try await database.withConnection { connection in
            try connection.query(
                "SELECT prepared_by || '|' || approved_by || '|' || amount::text FROM reimbursement_report WHERE company_id = 'USMF'"
            ) { try $0.decode(String.self, at: 0) }
        }
        #expect(report == ["\(alice)|\(bob)|25.500000"])
        try? await database.withConnection { connection in
            for login in [alice, bob] { _ = try? connection.execute("DROP ROLE IF EXISTS \(try connection.quoteIdentifier(login))") }
        }
    }

    /// The daemon runs with `TZ=Asia/Tokyo`, its sessions with `PGTZ=America/Los_Angeles`, the
    /// database with `TimeZone = 'Europe/Helsinki'`: Kiritimati's and Pago Pago's jobs still post
    /// on their own local dates, which are never the same.
    @Test func serveUsesEachCompanysDayWhateverTheHostSessionAndDatabaseZones() async throws {
        let database = try await TestServer.database()
        let localDates = "SELECT ((clock_timestamp() AT TIME ZONE 'Pacific/Kiritimati')::date)::text || ' ' || "
            + "((clock_timestamp() AT TIME ZONE 'Pacific/Pago_Pago')::date)::text"
        let before = try await database.withConnection { connection in
            try Self.companyWithCredit("KIR", timeZone: "Pacific/Kiritimati", on: connection)
            try Self.companyWithCredit("PAG", timeZone: "Pacific/Pago_Pago", on: connection)
            _ = try connection.execute(
                "ALTER DATABASE \(try connection.quoteIdentifier(database.name)) SET TimeZone = 'Europe/Helsinki'")
            try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('KIR'), ('PAG')")
            return try connection.queryValue(String.self, localDates)!
        }
        let served = try await Self.serve(database, environment: ["TZ": "Asia/Tokyo", "PGTZ": "America/Los_Angeles"])
        #expect(served.exitCode == 0, "\(served)")
        let (after, posted) = try await database.withConnection { connection in
            (try connection.queryValue(String.self, localDates)!,
             try connection.query("""
                SELECT string_agg(DISTINCT j.effective_posting_date::text || '/' || r.posting_date::text, ',' ORDER BY
                                  j.effective_posting_date::text || '/' || r.posting_date::text)
                  FROM reimbursement_job j JOIN reimbursement r ON r.company_id = j.company_id AND r.job_id = j.id
                 GROUP BY j.company_id ORDER BY j.company_id
                """) { try $0.decode(String.self, at: 0) })
        }
        let kirDates = Set([before, after].map { String($0.split(separator: " ")[0]) })
        let pagDates = Set([before, after].map { String($0.split(separator: " ")[1]) })
        #expect(posted.count == 2, "\(posted)")
        // Rows are ordered by company: KIR, PAG. Each posted on its effective date, its own local date.
        #expect(kirDates.contains { posted.first == "\($0)/\($0)" }, "KIR \(posted) local \(kirDates)")
        #expect(pagDates.contains { posted.last == "\($0)/\($0)" }, "PAG \(posted) local \(pagDates)")
        #expect(posted.first != posted.last)
    }
}
