import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// PRODUCT.md section 6 as the database enforces it (sql/0014): the company's time zone, ledger
/// periods that never overlap, `requested_by` from `session_user`, and four eyes at INSERT.
@Suite("Financial controls in the schema")
struct FinancialControlsSchemaTests {
    // MARK: - company.time_zone

    @Test func timeZoneDefaultsToUTCAndTakesIANANames() async throws {
        let database = try await TestServer.database()
        let zones = try await database.withConnection { connection in
            try Fixture.company("TZ", on: connection)
            var zones = [try connection.strings("SELECT time_zone FROM company WHERE id = 'TZ'").first ?? "-"]
            for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "US/Eastern", "Etc/UTC", "UTC"] {
                try connection.execute("UPDATE company SET time_zone = $1 WHERE id = 'TZ'", zone)
                zones.append(try connection.strings("SELECT time_zone FROM company WHERE id = 'TZ'").first ?? "-")
            }
            return zones
        }
        #expect(zones == ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "US/Eastern", "Etc/UTC", "UTC"])
    }

    /// Offsets, abbreviations, POSIX-signed and odd spellings are refused by name, at INSERT
    /// and at UPDATE: each would give the company a "today" other than the one it means.
    @Test(arguments: ["EST", "CET", "+02", "UTC+2", "-05:00", "Etc/GMT+2", "europe/helsinki", "Mars/Olympus_Mons",
                      "posix/Europe/Helsinki", "right/Europe/Helsinki", "", "Japan"])
    func misleadingTimeZonesAreRefused(_ zone: String) async throws {
        let database = try await TestServer.database()
        let (onInsert, onUpdate, kept) = try await database.withConnection { connection in
            let insert = try connection.failure("""
                INSERT INTO company (id, accounting_currency, vendor_summary_account, time_zone)
                VALUES ('BAD', 'EUR', '2110', $1)
                """, zone)
            try Fixture.company("OK", on: connection)
            let update = try connection.failure("UPDATE company SET time_zone = $1 WHERE id = 'OK'", zone)
            return (insert.map(RefusalSummary.init), update.map(RefusalSummary.init),
                    try connection.strings("SELECT time_zone FROM company WHERE id = 'OK'"))
        }
        for refusal in [onInsert, onUpdate] {
            #expect(refusal?.sqlState == SQLState.checkViolation, "\(zone): \(String(describing: refusal))")
            #expect(refusal?.constraint == "company_time_zone_valid", "\(zone): \(String(describing: refusal))")
            #expect(refusal?.message.contains("time_zone") == true, "\(zone): \(String(describing: refusal))")
        }
        #expect(kept == ["UTC"])
    }

    // MARK: - ledger_period

    @Test func periodsOfACompanyNeverOverlap() async throws {
        let database = try await TestServer.database()
        let outcome = try await database.withConnection { connection in
            try Fixture.company("LP", on: connection)
            try Fixture.company("LQ", on: connection)
            let insert = "INSERT INTO ledger_period (company_id, period_start, period_end, status) VALUES ($1, $2::date, $3::date, $4)"
            try connection.execute(insert, "LP", "2026-11-01", "2026-11-30", "open")
            var refusals: [String: RefusalSummary?] = [:]
            // Touching periods are fine (both dates inclusive), as are the same dates in another company.
            refusals.updateValue(try connection.failure(insert, "LP", "2026-12-01", "2026-12-31", "closed").map(RefusalSummary.init), forKey: "touching")
            refusals.updateValue(try connection.failure(insert, "LQ", "2026-11-01", "2026-11-30", "open").map(RefusalSummary.init), forKey: "other company")
            refusals.updateValue(try connection.failure(insert, "LP", "2026-10-01", "2026-11-01", "open").map(RefusalSummary.init), forKey: "one shared day")
            refusals.updateValue(try connection.failure(insert, "LP", "2026-11-10", "2026-11-12", "on_hold").map(RefusalSummary.init), forKey: "inside")
            refusals.updateValue(try connection.failure(
                "UPDATE ledger_period SET period_end = '2026-12-05' WHERE company_id = 'LP' AND period_start = '2026-11-01'")
                .map(RefusalSummary.init), forKey: "moved onto another")
            refusals.updateValue(try connection.failure(insert, "LP", "2027-01-31", "2027-01-01", "open").map(RefusalSummary.init), forKey: "backwards")
            refusals.updateValue(try connection.failure(insert, "LP", "2027-02-01", "2027-02-28", "frozen").map(RefusalSummary.init), forKey: "unknown status")
            return refusals
        }
        #expect(outcome["touching"]! == nil)
        #expect(outcome["other company"]! == nil)
        for key in ["one shared day", "inside", "moved onto another"] {
            let refusal = outcome[key]!
            #expect(refusal?.sqlState == "23P01", "\(key): \(String(describing: refusal))")
            #expect(refusal?.constraint == "ledger_period_no_overlap", "\(key): \(String(describing: refusal))")
        }
        #expect(outcome["backwards"]!?.constraint == "ledger_period_dates_ordered")
        #expect(outcome["unknown status"]!?.constraint == "ledger_period_status_valid")
    }

    /// btree_gist comes with Debian's postgresql-15 and is trusted: a migrating login that owns
    /// its database but is no superuser creates it, so the whole schema migrates.
    @Test func aDatabaseOwnerWhoIsNoSuperuserMigrates() async throws {
        let database = try await TestServer.database()
        let owner = uniqueRoleName("migrator")
        let target = "controls_\(owner)"
        try await database.withConnection { connection in
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(owner)) LOGIN NOSUPERUSER NOCREATEROLE")
            try connection.execute(
                "CREATE DATABASE \(try connection.quoteIdentifier(target)) OWNER \(try connection.quoteIdentifier(owner))")
        }
        let conninfo = database.server.conninfo
        let thread = DedicatedThread(name: "migrator")
        defer { thread.shutdown() }
        let (superuser, extensions, exclusion) = try await thread.run {
            let connection = try PostgresConnection(
                conninfo: conninfo, overrides: ["dbname": target, "user": owner], applicationName: "reimburse-tests")
            try SchemaMigrator(directory: TestServer.sqlDirectory).migrate(connection)
            let superuser = try connection.queryValue(Bool.self, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            let extensions = try connection.queryValue(Int.self, "SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'")
            try connection.execute("INSERT INTO company (id, accounting_currency, vendor_summary_account) VALUES ('M', 'EUR', '2110')")
            try connection.execute("INSERT INTO ledger_period (company_id, period_start, period_end) VALUES ('M', '2026-01-01', '2026-12-31')")
            let exclusion = try? connection.execute(
                "INSERT INTO ledger_period (company_id, period_start, period_end) VALUES ('M', '2026-06-01', '2027-06-30')")
            return (superuser, extensions, exclusion == nil)
        }
        try? await database.withConnection { connection in
            try connection.execute("DROP DATABASE IF EXISTS \(try connection.quoteIdentifier(target))")
            try connection.execute("DROP ROLE IF EXISTS \(try connection.quoteIdentifier(owner))")
        }
        #expect(superuser == false)
        #expect(extensions == 1)
        #expect(exclusion, "the overlapping period was accepted")
    }

    /// The chunk's lock (sql/0014, ledger_period_for_posting with lock = true) makes a close
    /// wait for the chunk in flight; the plain read of the job start makes nothing wait.
    @Test func aChunkSharesThePeriodSoACloseWaitsForIt() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Fixture.company("LK", on: connection)
            try connection.execute("INSERT INTO ledger_period (company_id, period_start, period_end) VALUES ('LK', '2026-11-01', '2026-11-30')")
        }
        let closeAttempt: @Sendable (Bool) async throws -> (RefusalSummary?, [String]) = { lock in
            try await database.withConnection { chunk in
                try chunk.execute("BEGIN")
                let seen = try chunk.strings(
                    "SELECT status FROM ledger_period_for_posting('LK', DATE '2026-11-25', $1)", lock)
                // The finance team's session, while the chunk's transaction is open.
                let finance = try database.connect()
                try finance.execute("SET lock_timeout = '300ms'")
                let close = try finance.failure("UPDATE ledger_period SET status = 'closed' WHERE company_id = 'LK'")
                _ = try? finance.execute("UPDATE ledger_period SET status = 'open' WHERE company_id = 'LK'")
                try chunk.execute("ROLLBACK")
                return (close.map(RefusalSummary.init), seen)
            }
        }
        let (whileLocked, seenLocked) = try await closeAttempt(true)
        let (whileRead, seenRead) = try await closeAttempt(false)
        #expect(seenLocked == ["open"])
        #expect(whileLocked?.sqlState == "55P03", "the close did not wait for the chunk: \(String(describing: whileLocked))")
        #expect(seenRead == ["open"])
        #expect(whileRead == nil, "a plain read blocked the close: \(String(describing: whileRead))")
    }

    // MARK: - requested_by and four eyes

    /// Two enqueue logins of one company, as two people would have.
    struct Logins {
        var alice: String
        var bob: String
    }

    static func withLogins(
        _ database: TestDatabase, company: String, _ body: @Sendable (Logins) async throws -> Void
    ) async throws {
        let logins = Logins(alice: uniqueRoleName("alice"), bob: uniqueRoleName("bob"))
        try await database.withConnection { connection in
            for login in [logins.alice, logins.bob] {
                try createLogin(login, memberOf: "reimburse_enqueue", on: connection)
                try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, $2)", login, company)
            }
            // Alice may SET ROLE bob: the one thing that must not let her sign as him.
            try connection.execute(
                "GRANT \(try connection.quoteIdentifier(logins.bob)) TO \(try connection.quoteIdentifier(logins.alice))")
        }
        do {
            try await body(logins)
        } catch {
            try? await database.withConnection { dropRoles([logins.alice, logins.bob], on: $0) }
            throw error
        }
        try? await database.withConnection { dropRoles([logins.alice, logins.bob], on: $0) }
    }

    @Test func requestedByIsTheSessionLoginWhateverTheInsertSaysOrTheRoleIs() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixture.company("RB", on: $0) }
        try await Self.withLogins(database, company: "RB") { logins in
            let (plain, asBob) = try await database.withConnection(asUser: logins.alice) { connection in
                let insert = "INSERT INTO reimbursement_job (company_id, mode) VALUES ('RB', 'preview') RETURNING requested_by"
                let plain = try connection.strings(insert)
                try connection.execute("SET ROLE \(try connection.quoteIdentifier(logins.bob))")
                let asBob = try connection.strings(insert)
                return (plain, asBob)
            }
            #expect(plain == [logins.alice])
            #expect(asBob == [logins.alice], "SET ROLE changed requested_by")
        }
        let (given, rewrite) = try await database.withConnection { connection in
            // The owner may name any column; the database still writes its own login.
            let given = try connection.strings(
                "INSERT INTO reimbursement_job (company_id, requested_by) VALUES ('RB', 'somebody_else') RETURNING requested_by")
            let rewrite = try connection.failure("UPDATE reimbursement_job SET requested_by = 'somebody_else' WHERE company_id = 'RB'")
            return (given, rewrite.map(RefusalSummary.init))
        }
        #expect(given == ["postgres"])
        #expect(rewrite?.constraint == "reimbursement_job_requested_by_fixed", "\(String(describing: rewrite))")
    }

    @Test func fourEyesRefusesAtInsertWithAMessageThatSaysWhatToDo() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try Fixture.company("FE", on: connection)
            try connection.execute("UPDATE company SET require_approval = true WHERE id = 'FE'")
            // Operations are widened by later migrations (reversal, payment); the rule does not
            // depend on which exist.
            try connection.execute("""
                ALTER TABLE reimbursement_job DROP CONSTRAINT reimbursement_job_operation_valid,
                    ADD CONSTRAINT reimbursement_job_operation_valid CHECK (operation IN ('reimburse', 'reverse'))
                """)
        }
        try await Self.withLogins(database, company: "FE") { logins in
            let (plainPost, plainReverse, preview) = try await database.withConnection(asUser: logins.alice) { connection in
                (try connection.failure("INSERT INTO reimbursement_job (company_id) VALUES ('FE')").map(RefusalSummary.init),
                 try connection.failure("INSERT INTO reimbursement_job (company_id, operation) VALUES ('FE', 'reverse')")
                    .map(RefusalSummary.init),
                 try connection.queryValue(
                    Int64.self, "INSERT INTO reimbursement_job (company_id, mode) VALUES ('FE', 'preview') RETURNING id")!)
            }
            try await database.withConnection { connection in
                _ = try connection.execute("UPDATE reimbursement_job SET state = 'succeeded' WHERE id = $1", preview)
            }
            let approve = "INSERT INTO reimbursement_job (company_id, approves_job_id, operation) VALUES ('FE', $1, $2) RETURNING id"
            let (own, ownAsBob) = try await database.withConnection(asUser: logins.alice) { connection in
                let own = try connection.failure(approve, preview, "reimburse").map(RefusalSummary.init)
                try connection.execute("SET ROLE \(try connection.quoteIdentifier(logins.bob))")
                return (own, try connection.failure(approve, preview, "reimburse").map(RefusalSummary.init))
            }
            let (otherOperation, byBob) = try await database.withConnection(asUser: logins.bob) { connection in
                (try connection.failure(approve, preview, "reverse").map(RefusalSummary.init),
                 try connection.failure(approve, preview, "reimburse").map(RefusalSummary.init))
            }
            for (label, refusal, words) in [
                ("plain post", plainPost, "Enqueue a preview"), ("plain reverse", plainReverse, "a reverse job"),
                ("own preview", own, "cannot approve it too"), ("own preview after SET ROLE", ownAsBob, "cannot approve it too"),
                ("other operation", otherOperation, "same operation"),
            ] {
                #expect(refusal?.sqlState == SQLState.checkViolation, "\(label): \(String(describing: refusal))")
                #expect(refusal?.constraint == "reimbursement_job_four_eyes", "\(label): \(String(describing: refusal))")
                #expect(refusal?.message.contains("company FE requires approval") == true, "\(label): \(String(describing: refusal))")
                #expect(refusal?.message.contains(words) == true, "\(label): \(String(describing: refusal))")
            }
            #expect(byBob == nil, "another login's approval was refused: \(String(describing: byBob))")
        }
    }

    /// Without require_approval nothing changes: one login may preview and approve (sql/0002).
    @Test func withoutRequireApprovalOneLoginMayApproveItsOwnPreview() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try Fixture.company("NA", on: $0) }
        try await Self.withLogins(database, company: "NA") { logins in
            let preview = try await database.withConnection(asUser: logins.alice) { connection in
                try connection.queryValue(Int64.self, "INSERT INTO reimbursement_job (company_id, mode) VALUES ('NA', 'preview') RETURNING id")!
            }
            try await database.withConnection { connection in
                _ = try connection.execute("UPDATE reimbursement_job SET state = 'succeeded' WHERE id = $1", preview)
            }
            let refusals = try await database.withConnection(asUser: logins.alice) { connection in
                [try connection.failure("INSERT INTO reimbursement_job (company_id) VALUES ('NA')"),
                 try connection.failure("INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('NA', $1)", preview)]
                    .map { $0.map(RefusalSummary.init) }
            }
            #expect(refusals.allSatisfy { $0 == nil }, "\(refusals)")
        }
    }
}
