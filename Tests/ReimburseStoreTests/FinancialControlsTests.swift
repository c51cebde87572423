import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// PRODUCT.md section 6 through real runs: the company's day, ledger periods at the start and
/// at every chunk, and four eyes with two real logins.
@Suite("Financial controls in runs")
struct FinancialControlsTests {
    /// A company with `customers` customers (C1, C2, ...), each with one open credit of 100.
    static func ledger(
        _ company: String, timeZone: String = "UTC", customers: Int = 2, on connection: PostgresConnection
    ) throws {
        try LedgerFixture.company(company, on: connection)
        try connection.execute("UPDATE company SET time_zone = $1 WHERE id = $2", timeZone, company)
        for index in 1...customers {
            try LedgerFixture.customer(company, "C\(index)", on: connection)
            try LedgerFixture.transaction(company, "C\(index)", amount: "-100", on: connection)
        }
    }

    static func localDate(_ zone: String, on connection: PostgresConnection) throws -> String {
        try connection.queryValue(String.self, "SELECT ((clock_timestamp() AT TIME ZONE $1)::date)::text", zone)!
    }

    /// The dates a job posted on: its own, and every dated row it wrote.
    static func dates(of job: Int64, on connection: PostgresConnection) throws -> [String] {
        try Store.rows("""
            SELECT 'job ' || coalesce(posting_date::text, 'NULL') || ' ' || coalesce(effective_posting_date::text, 'NULL')
              FROM reimbursement_job WHERE id = $1
            UNION ALL SELECT DISTINCT 'overview ' || effective_posting_date FROM job_overview WHERE job_id = $1
            UNION ALL SELECT DISTINCT 'reimbursement ' || posting_date FROM reimbursement WHERE job_id = $1
            UNION ALL SELECT DISTINCT 'invoice ' || vi.invoice_date FROM vendor_invoice vi
                        JOIN reimbursement r ON r.company_id = vi.company_id AND r.id = vi.reimbursement_id WHERE r.job_id = $1
            UNION ALL SELECT DISTINCT 'ledger ' || e.posting_date FROM ledger_entry e
                        JOIN reimbursement r ON r.company_id = e.company_id AND r.id = e.reimbursement_id WHERE r.job_id = $1
            UNION ALL SELECT DISTINCT 'settled ' || s.settled_on FROM customer_settlement s WHERE s.job_id = $1
            """, job, on: connection)
    }

    static func expectedDates(_ date: String) -> [String] {
        ["job NULL \(date)", "overview \(date)", "reimbursement \(date)", "invoice \(date)", "ledger \(date)", "settled \(date)"]
    }

    // MARK: - The company's day

    /// Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date. With the database's
    /// TimeZone Helsinki and the session's Los Angeles, each company's job posts on its own
    /// local date, computed by the database when the job starts.
    @Test func eachCompanyPostsOnItsOwnLocalDateWhateverTheDatabaseAndSessionZones() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.ledger("KIR", timeZone: "Pacific/Kiritimati", on: connection)
            try Self.ledger("PAG", timeZone: "Pacific/Pago_Pago", on: connection)
            _ = try connection.execute(
                "ALTER DATABASE \(try connection.quoteIdentifier(database.name)) SET TimeZone = 'Europe/Helsinki'")
        }
        let outcome = try await database.withNewConnection { connection in
            let databaseZone = try connection.queryValue(String.self, "SHOW TimeZone")
            try connection.execute("SET TimeZone = 'America/Los_Angeles'")
            let before = [try Self.localDate("Pacific/Kiritimati", on: connection),
                          try Self.localDate("Pacific/Pago_Pago", on: connection)]
            let sessionDate = try connection.queryValue(String.self, "SELECT current_date::text")!
            let kir = try LedgerFixture.job("KIR", postingDate: nil, on: connection)
            let pag = try LedgerFixture.job("PAG", postingDate: nil, on: connection)
            try Store.run(kir, on: connection)
            try Store.run(pag, on: connection)
            let after = [try Self.localDate("Pacific/Kiritimati", on: connection),
                         try Self.localDate("Pacific/Pago_Pago", on: connection)]
            return (databaseZone, before, after, sessionDate,
                    try Self.dates(of: kir, on: connection), try Self.dates(of: pag, on: connection))
        }
        let (databaseZone, before, after, sessionDate, kirDates, pagDates) = outcome
        #expect(databaseZone == "Europe/Helsinki")
        // The test's own clock may cross a local midnight while the jobs run: either side is right.
        #expect(kirDates == Self.expectedDates(before[0]) || kirDates == Self.expectedDates(after[0]), "\(kirDates)")
        #expect(pagDates == Self.expectedDates(before[1]) || pagDates == Self.expectedDates(after[1]), "\(pagDates)")
        #expect(kirDates != pagDates, "two companies that never share a date posted on the same one: \(kirDates)")
        // The session's date is at most one of the two: it decided nothing.
        #expect(!(kirDates.contains("reimbursement \(sessionDate)") && pagDates.contains("reimbursement \(sessionDate)")))
    }

    /// A job whose first chunk committed before the company's midnight and which crashed
    /// keeps its date when it resumes after midnight. Midnight is made to pass by moving the
    /// company to a zone whose local date differs: the date the job would resolve now differs.
    @Test func aCrashAtLocalMidnightKeepsTheEffectiveDate() async throws {
        let database = try await TestServer.database()
        let (first, later, dates) = try await database.withConnection { connection in
            try Self.ledger("MID", timeZone: "Pacific/Kiritimati", customers: 3, on: connection)
            let job = try LedgerFixture.job("MID", postingDate: nil, on: connection)
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "crashed", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            let outcome = try Store.runner(connection, chunkSize: 1).run(lease, shouldStop: {
                defer { chunks += 1 }
                return chunks == 1
            })
            guard case .interrupted = outcome else { throw TestSupportError("expected interrupted, got \(outcome)") }
            let first = try connection.queryValue(
                String.self, "SELECT effective_posting_date::text FROM reimbursement_job WHERE id = $1", job)!
            // Midnight passes: "today" for the company is now another date.
            try connection.execute("UPDATE company SET time_zone = 'Pacific/Pago_Pago' WHERE id = 'MID'")
            let later = try Self.localDate("Pacific/Pago_Pago", on: connection)
            // The crash: nobody releases; a rescuer puts the job back and another worker resumes it.
            try connection.execute("""
                UPDATE reimbursement_job SET state = 'queued', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $1
                """, job)
            try Store.run(job, chunkSize: 1, on: connection)
            return (first, later, try Self.dates(of: job, on: connection))
        }
        #expect(first != later)
        #expect(dates == Self.expectedDates(first), "\(dates)")
    }

    // MARK: - Ledger periods

    static func period(
        _ company: String, _ start: String, _ end: String, _ status: String, on connection: PostgresConnection
    ) throws {
        try connection.execute(
            "INSERT INTO ledger_period (company_id, period_start, period_end, status) VALUES ($1, $2::date, $3::date, $4)",
            company, start, end, status)
    }

    /// Runs a job expected to fail at once; returns its state, last_error and what it wrote.
    static func runRefused(_ job: Int64, on connection: PostgresConnection) throws -> (String, String, Int) {
        do {
            _ = try Store.runner(connection).runQueuedJob(id: job)
        } catch is JobFailure {}
        let row = try Store.rows(
            "SELECT state, coalesce(last_error, '') FROM reimbursement_job WHERE id = $1", job, on: connection)
        let written = try Store.count("""
            SELECT (SELECT count(*) FROM reimbursement WHERE job_id = $1) + (SELECT count(*) FROM reimbursement_proposal WHERE job_id = $1)
                 + (SELECT count(*) FROM reimbursement_skip WHERE job_id = $1)
            """, job, on: connection)
        let parts = (row.first ?? "|").split(separator: "|", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : "", written)
    }

    @Test func aJobOutsideAnOpenPeriodFailsBeforePostingPreviewsToo() async throws {
        let database = try await TestServer.database()
        let outcomes = try await database.withConnection { connection in
            try Self.ledger("PER", on: connection)
            try Self.period("PER", "2026-10-01", "2026-10-31", "open", on: connection)
            try Self.period("PER", "2026-11-01", "2026-11-30", "closed", on: connection)
            try Self.period("PER", "2026-12-01", "2026-12-31", "on_hold", on: connection)
            var outcomes: [String: (String, String, Int)] = [:]
            outcomes["closed post"] = try Self.runRefused(
                try LedgerFixture.job("PER", postingDate: "2026-11-25", on: connection), on: connection)
            outcomes["closed preview"] = try Self.runRefused(
                try LedgerFixture.job("PER", mode: "preview", postingDate: "2026-11-30", on: connection), on: connection)
            outcomes["on hold"] = try Self.runRefused(
                try LedgerFixture.job("PER", postingDate: "2026-12-01", on: connection), on: connection)
            outcomes["no period"] = try Self.runRefused(
                try LedgerFixture.job("PER", postingDate: "2027-01-05", on: connection), on: connection)
            return outcomes
        }
        let expected: [String: [String]] = [
            "closed post": ["company PER", "2026-11-25", "ledger period 2026-11-01..2026-11-30", "closed"],
            "closed preview": ["company PER", "2026-11-30", "ledger period 2026-11-01..2026-11-30", "closed"],
            "on hold": ["company PER", "2026-12-01", "ledger period 2026-12-01..2026-12-31", "on_hold"],
            "no period": ["company PER", "2027-01-05", "in no ledger period"],
        ]
        for (label, words) in expected {
            let (state, error, written) = try #require(outcomes[label])
            #expect(state == "failed", "\(label)")
            #expect(written == 0, "\(label): the job wrote rows")
            for word in words { #expect(error.contains(word), "\(label): \(error)") }
        }
    }

    @Test func anOpenPeriodOrNoPeriodAtAllLetsTheJobPost() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Self.ledger("OPN", on: connection)
            try Self.period("OPN", "2026-11-01", "2026-11-30", "open", on: connection)
            try Self.ledger("NOP", on: connection)
            #expect(try Store.run(try LedgerFixture.job("OPN", postingDate: "2026-11-30", on: connection), on: connection)?
                .reimbursements == 2)
            #expect(try Store.run(try LedgerFixture.job("NOP", postingDate: "1999-01-01", on: connection), on: connection)?
                .reimbursements == 2)
        }
    }

    /// The finance team puts the period on hold between two chunks, from its own session: the
    /// next chunk stops the job, which fails keeping and counting the first chunk's posting.
    @Test func aPeriodPutOnHoldMidRunStopsTheJobAtItsNextChunkKeepingWhatWasPosted() async throws {
        let database = try await TestServer.database()
        let (failure, rows, result) = try await database.withConnection { connection in
            try Self.ledger("HLD", customers: 4, on: connection)
            try Self.period("HLD", "2026-11-01", "2026-11-30", "open", on: connection)
            let job = try LedgerFixture.job("HLD", postingDate: "2026-11-25", on: connection)
            let finance = try database.connect()
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "test", leaseDuration: .seconds(30), on: connection))
            var chunks = 0
            var failure: JobFailure?
            do {
                _ = try Store.runner(connection, chunkSize: 1).run(lease, shouldStop: {
                    if chunks == 1 {
                        _ = try? finance.execute("UPDATE ledger_period SET status = 'on_hold' WHERE company_id = 'HLD'")
                    }
                    chunks += 1
                    return false
                })
            } catch let error as JobFailure {
                failure = error
                try JobStateStore.fail(lease, message: error.description, tally: nil, on: connection)
            }
            let rows = try Store.rows("""
                SELECT state, customers_done, (SELECT count(*) FROM reimbursement r WHERE r.job_id = j.id),
                       (SELECT string_agg(customer_account, ',') FROM reimbursement r WHERE r.job_id = j.id)
                  FROM reimbursement_job j WHERE id = $1
                """, job, on: connection)
            return (failure, rows, try Store.result(of: job, on: connection))
        }
        let message = try #require(failure?.description)
        for word in ["company HLD", "2026-11-25", "ledger period 2026-11-01..2026-11-30", "on_hold", "keeps what it posted"] {
            #expect(message.contains(word), "\(message)")
        }
        #expect(rows == ["failed|1|1|C1"])
        #expect(result?.reimbursed == 1)
        #expect(result?.reimbursements == 1)
    }

    // MARK: - Four eyes

    /// The setting turned on after jobs were queued: a plain post and an approval of one's own
    /// preview fail when they start, with a message that says why.
    @Test func fourEyesIsCheckedAgainWhenTheJobStarts() async throws {
        let database = try await TestServer.database()
        let (plain, own) = try await database.withConnection { connection in
            try Self.ledger("LAT", on: connection)
            let preview = try LedgerFixture.job("LAT", mode: "preview", on: connection)
            try Store.run(preview, on: connection)
            let plain = try LedgerFixture.job("LAT", on: connection)
            let own = try LedgerFixture.job("LAT", approves: preview, on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'LAT'")
            return (try Self.runRefused(plain, on: connection), try Self.runRefused(own, on: connection))
        }
        #expect(plain.0 == "failed")
        #expect(plain.1.contains("company LAT requires approval"), "\(plain.1)")
        #expect(plain.1.contains("checked when the job started"), "\(plain.1)")
        #expect(plain.2 == 0)
        #expect(own.0 == "failed")
        #expect(own.1.contains("was requested by postgres, who cannot approve it too"), "\(own.1)")
        #expect(own.2 == 0)
    }

    /// Two enqueue logins of one company: Alice previews, her own approval is refused, Bob's
    /// posts; the report says who prepared and who approved.
    @Test func anotherLoginApprovesAndTheReportNamesBoth() async throws {
        let database = try await TestServer.database()
        let alice = "alice_\(UInt32.random(in: 0...UInt32.max))"
        let bob = "bob_\(UInt32.random(in: 0...UInt32.max))"
        try await database.withConnection { connection in
            try Self.ledger("DUO", on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'DUO'")
            for login in [alice, bob] {
                try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(login)) LOGIN IN ROLE reimburse_enqueue")
                try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'DUO')", login)
            }
        }
        let insertPreview = "INSERT INTO reimbursement_job (company_id, mode) VALUES ('DUO', 'preview') RETURNING id"
        let insertApproval = "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('DUO', $1) RETURNING id"
        let preview = try await Store.asLogin(alice, database: database) { connection in
            try connection.queryValue(Int64.self, insertPreview)!
        }
        try await database.withConnection { try Store.run(preview, on: $0) }
        let ownRefusal = try await Store.asLogin(alice, database: database) { connection -> String? in
            do {
                _ = try connection.queryValue(Int64.self, insertApproval, preview)
                return nil
            } catch let error as PostgresError {
                return error.constraintName
            }
        }
        let approval = try await Store.asLogin(bob, database: database) { connection in
            try connection.queryValue(Int64.self, insertApproval, preview)!
        }
        let report = try await database.withConnection { connection in
            try Store.run(approval, on: connection)
            return try Store.rows(
                "SELECT customer_account, prepared_by, approved_by FROM reimbursement_report WHERE company_id = 'DUO' ORDER BY 1",
                on: connection)
        }
        try? await database.withConnection { connection in
            for login in [alice, bob] { _ = try? connection.execute("DROP ROLE IF EXISTS \(try connection.quoteIdentifier(login))") }
        }
        #expect(ownRefusal == "reimbursement_job_four_eyes")
        #expect(report == ["C1|\(alice)|\(bob)", "C2|\(alice)|\(bob)"])
    }
}
