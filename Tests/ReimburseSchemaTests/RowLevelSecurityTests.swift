import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Reporting and enqueue logins see only the companies granted to them in company_access,
/// enforced by the database; the service role sees every company.
@Suite("Roles and row-level security")
struct RowLevelSecurityTests {
    /// Every relation a reader may SELECT, with the column that names the company.
    static let readable: [(relation: String, company: String)] = [
        ("company", "id"),
        ("customer", "company_id"),
        ("vendor", "company_id"),
        ("customer_transaction", "company_id"),
        ("reimbursement_job", "company_id"),
        ("reimbursement_job_attempt", "company_id"),
        ("reimbursement", "company_id"),
        ("vendor_invoice", "company_id"),
        ("customer_settlement", "company_id"),
        ("ledger_entry", "company_id"),
        ("reimbursement_proposal", "company_id"),
        ("reimbursement_skip", "company_id"),
        ("customer_bank_account", "company_id"),
        ("vendor_bank_account", "company_id"),
        ("reimbursement_report", "company_id"),
        ("customer_credit_balance", "company_id"),
        ("job_overview", "company_id"),
    ]

    /// Tables readers may not read at all.
    static let unreadable = ["number_sequence", "reimbursement_company_queue", "reimburse_schema_migration"]

    /// Every table of the schema, with a column to name in an UPDATE.
    static let tables: [(table: String, column: String)] = [
        ("company", "id"),
        ("number_sequence", "company_id"),
        ("customer", "company_id"),
        ("vendor", "company_id"),
        ("customer_transaction", "company_id"),
        ("reimbursement_job", "company_id"),
        ("reimbursement_company_queue", "company_id"),
        ("reimbursement_job_attempt", "company_id"),
        ("reimbursement", "company_id"),
        ("vendor_invoice", "company_id"),
        ("customer_settlement", "company_id"),
        ("ledger_entry", "company_id"),
        ("reimbursement_proposal", "company_id"),
        ("reimbursement_skip", "company_id"),
        ("company_access", "company_id"),
        ("customer_bank_account", "company_id"),
        ("vendor_bank_account", "company_id"),
        ("reimburse_schema_migration", "name"),
    ]

    struct Counts: Sendable, Equatable, CustomStringConvertible {
        var total: Int
        var a: Int
        var b: Int
        var description: String { "total \(total), A \(a), B \(b)" }
    }

    /// Rows of companies A and B (and in all) each relation shows to the connected role.
    static func visibility(_ connection: PostgresConnection) throws -> [String: Counts] {
        var counts: [String: Counts] = [:]
        for (relation, company) in readable {
            let column = try connection.quoteIdentifier(company)
            let row = try unwrap(try connection.execute(
                """
                SELECT count(*), count(*) FILTER (WHERE \(column) = 'A'), count(*) FILTER (WHERE \(column) = 'B')
                  FROM \(try connection.quoteIdentifier(relation))
                """).first, relation)
            counts[relation] = Counts(
                total: try row.decode(Int.self, at: 0), a: try row.decode(Int.self, at: 1),
                b: try row.decode(Int.self, at: 2))
        }
        return counts
    }

    /// Every write statement on every table, with the error it raised (nil: it succeeded).
    static func writeAttempts(
        _ connection: PostgresConnection, skipping skipped: Set<String> = []
    ) throws -> [String: PostgresError?] {
        var outcomes: [String: PostgresError?] = [:]
        for (table, column) in tables {
            let name = try connection.quoteIdentifier(table)
            let col = try connection.quoteIdentifier(column)
            let statements = [
                "INSERT \(table)": "INSERT INTO \(name) DEFAULT VALUES",
                "UPDATE \(table)": "UPDATE \(name) SET \(col) = \(col)",
                "DELETE \(table)": "DELETE FROM \(name)",
                "TRUNCATE \(table)": "TRUNCATE \(name) CASCADE",
            ]
            for (label, sql) in statements where !skipped.contains(label) {
                outcomes[label] = try connection.failure(SQL(sql))
            }
        }
        return outcomes
    }

    /// Two companies with everything posted, as the superuser.
    static func seededDatabase() async throws -> TestDatabase {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try connection.transaction { connection in
                try Fixture.seedPostedCompany("A", base: 1_000_000, on: connection)
                try Fixture.seedPostedCompany("B", base: 2_000_000, on: connection)
            }
        }
        return database
    }

    /// Creates LOGIN roles (name, group), grants company access, runs `body`, drops the roles.
    static func withLogins<T: Sendable>(
        _ database: TestDatabase, _ logins: [(name: String, group: String)], access: [(role: String, company: String)],
        _ body: () async throws -> T
    ) async throws -> T {
        try await database.withConnection { connection in
            for login in logins { try createLogin(login.name, memberOf: login.group, on: connection) }
            for grant in access {
                try connection.execute(
                    "INSERT INTO company_access (role_name, company_id) VALUES ($1, $2)", grant.role, grant.company)
            }
        }
        let names = logins.map(\.name)
        do {
            let value = try await body()
            try await database.withConnection { dropRoles(names, on: $0) }
            return value
        } catch {
            _ = try? await database.withConnection { dropRoles(names, on: $0) }
            throw error
        }
    }

    static func expectOnlyA(
        _ seen: [String: Counts], baseline: [String: Counts], who: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (relation, _) in readable {
            guard let mine = seen[relation], let all = baseline[relation] else {
                Issue.record("no counts for \(relation)", sourceLocation: sourceLocation)
                continue
            }
            #expect(all.a >= 1 && all.b >= 1, "the fixture has no rows of both companies in \(relation): \(all)",
                    sourceLocation: sourceLocation)
            #expect(mine.b == 0, "\(who) sees B's rows in \(relation): \(mine)", sourceLocation: sourceLocation)
            #expect(mine.total == mine.a, "\(who) sees rows of other companies in \(relation): \(mine)",
                    sourceLocation: sourceLocation)
            #expect(mine.a == all.a, "\(who) misses some of A's rows in \(relation): \(mine) of \(all)",
                    sourceLocation: sourceLocation)
        }
    }

    /// The posted example obeys the posting rules (PRODUCT.md section 1, rule 8), so what the
    /// readers are shown is what the daemon would write.
    @Test func theSeededCompaniesAreConsistent() async throws {
        let database = try await Self.seededDatabase()
        let broken = try await database.withConnection { connection in
            try connection.strings(
                """
                SELECT 'unbalanced voucher ' || company_id || ' ' || voucher FROM ledger_entry
                 GROUP BY company_id, voucher HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0
                UNION ALL
                SELECT 'invoice differs ' || r.company_id || ' ' || r.id FROM reimbursement r
                  LEFT JOIN vendor_invoice vi ON vi.company_id = r.company_id AND vi.id = r.vendor_invoice_id
                 WHERE vi.id IS NULL OR vi.reimbursement_id <> r.id OR vi.amount <> r.amount
                    OR vi.currency <> r.currency OR vi.voucher <> r.voucher OR vi.vendor_account <> r.vendor_account
                UNION ALL
                SELECT 'settlement differs ' || s.company_id || ' ' || s.id FROM customer_settlement s
                  JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
                  JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
                  JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
                 WHERE d.kind <> 'reimbursement' OR d.voucher <> r.voucher OR d.settled_amount <> d.amount
                    OR c.settled_amount <> -s.amount OR s.amount <> r.amount OR s.job_id <> r.job_id
                UNION ALL
                SELECT 'vendor line ' || r.company_id || ' ' || r.id FROM reimbursement r
                  JOIN company co ON co.id = r.company_id
                 WHERE NOT EXISTS (SELECT 1 FROM ledger_entry l WHERE l.company_id = r.company_id
                                      AND l.voucher = r.voucher AND l.posting_type = 'vendor_balance'
                                      AND l.account = co.vendor_summary_account AND l.amount = -r.amount)
                """)
        }
        #expect(broken.isEmpty, "\(broken)")
    }

    // MARK: - reporting

    @Test func aReportingLoginSeesOnlyItsCompanyAndWritesNothing() async throws {
        let database = try await Self.seededDatabase()
        let reporter = uniqueRoleName("rpt")
        let other = uniqueRoleName("rpt_other")
        let baseline = try await database.withConnection { try Self.visibility($0) }
        try await Self.withLogins(
            database, [(reporter, "reimburse_reporting"), (other, "reimburse_reporting")],
            access: [(reporter, "A"), (other, "B")]
        ) {
            let (seen, access, unreadable, writes) = try await database.withConnection(asUser: reporter) {
                connection -> ([String: Counts], [String], [String: PostgresError?], [String: PostgresError?]) in
                let seen = try Self.visibility(connection)
                let access = try connection.strings(
                    "SELECT role_name || ':' || company_id FROM company_access ORDER BY 1")
                var unreadable: [String: PostgresError?] = [:]
                for table in Self.unreadable {
                    unreadable[table] = try connection.failure("SELECT count(*) FROM \(try connection.quoteIdentifier(table))")
                }
                return (seen, access, unreadable, try Self.writeAttempts(connection))
            }
            Self.expectOnlyA(seen, baseline: baseline, who: "the reporting login")
            #expect(access == ["\(reporter):A"])
            for (table, error) in unreadable {
                #expect(error?.sqlState == SQLState.insufficientPrivilege, "SELECT \(table): \(describe(error))")
            }
            #expect(writes.count == Self.tables.count * 4)
            for (label, error) in writes.sorted(by: { $0.key < $1.key }) {
                #expect(error?.sqlState == SQLState.insufficientPrivilege, "\(label): \(describe(error))")
            }
        }
        // Nothing was changed by the refused writes.
        let after = try await database.withConnection { try Self.visibility($0) }
        #expect(after == baseline)
    }

    @Test func aReportingLoginSeesTheSameThroughSetRole() async throws {
        let database = try await Self.seededDatabase()
        let reporter = uniqueRoleName("rpt")
        let baseline = try await database.withConnection { try Self.visibility($0) }
        try await Self.withLogins(database, [(reporter, "reimburse_reporting")], access: [(reporter, "A")]) {
            let (seen, insert) = try await database.withNewConnection { connection in
                try connection.execute("SET ROLE \(try connection.quoteIdentifier(reporter))")
                let seen = try Self.visibility(connection)
                let insert = try connection.failure("INSERT INTO reimbursement_job (company_id) VALUES ('A')")
                try connection.execute("RESET ROLE")
                return (seen, insert)
            }
            Self.expectOnlyA(seen, baseline: baseline, who: "SET ROLE reporting")
            #expect(insert?.sqlState == SQLState.insufficientPrivilege, "\(describe(insert))")
        }
    }

    /// Access granted to a group role covers its members; a reader without access rows sees
    /// nothing at all.
    @Test func accessOfAGroupRoleCoversItsMembersAndNoAccessMeansNoRows() async throws {
        let database = try await Self.seededDatabase()
        let group = uniqueRoleName("grp")
        let member = uniqueRoleName("grp_member")
        let stranger = uniqueRoleName("rpt_none")
        try await database.withConnection { connection in
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(group)) NOLOGIN IN ROLE reimburse_reporting")
            try connection.execute(
                "INSERT INTO company_access (role_name, company_id) VALUES ($1, 'B'), ('no_such_role_at_all', 'A')", group)
        }
        try await Self.withLogins(database, [(member, group), (stranger, "reimburse_reporting")], access: []) {
            let memberSees = try await database.withConnection(asUser: member) { try Self.visibility($0) }
            let strangerSees = try await database.withConnection(asUser: stranger) { try Self.visibility($0) }
            for (relation, _) in Self.readable {
                let counts = try #require(memberSees[relation])
                #expect(counts.a == 0 && counts.b >= 1 && counts.total == counts.b, "\(relation): \(counts)")
                #expect(strangerSees[relation]?.total == 0, "\(relation): \(String(describing: strangerSees[relation]))")
            }
        }
        try await database.withConnection { dropRoles([group], on: $0) }
    }

    @Test func aRoleOutsideTheReimburseRolesCannotReadAnything() async throws {
        let database = try await Self.seededDatabase()
        let outsider = uniqueRoleName("outsider")
        try await database.withConnection { connection in
            try connection.execute("CREATE ROLE \(try connection.quoteIdentifier(outsider)) LOGIN")
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ($1, 'A')", outsider)
        }
        let errors = try await database.withConnection(asUser: outsider) { connection in
            try Self.readable.map { relation, _ in
                try connection.failure("SELECT 1 FROM \(try connection.quoteIdentifier(relation)) LIMIT 1")
            }
        }
        try await database.withConnection { dropRoles([outsider], on: $0) }
        for (error, (relation, _)) in zip(errors, Self.readable) {
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "\(relation): \(describe(error))")
        }
    }

    // MARK: - enqueue

    struct EnqueueOutcome: Sendable {
        var insertedId: Int64?
        var insertError: PostgresError?
        var otherCompany: PostgresError?
        var unknownCompany: PostgresError?
        var daemonColumnInserts: [String: PostgresError?]
        var daemonColumnUpdates: [String: PostgresError?]
        var cancelOwn: Int
        var cancelOther: Int
        var cancelFinished: Int
        var approveOwn: PostgresError?
        var approveOther: PostgresError?
        var seen: [String: Counts]
        var bJobsById: Int
        var writes: [String: PostgresError?]
    }

    /// A column of reimbursement_job the enqueue role may not set, with a valid value.
    static let daemonColumns: [(column: String, value: any PostgresEncodable)] = [
        ("id", Int64(77_777)),
        ("requested_by", "someone_else"),
        ("state", "queued"),
        ("attempts", 0),
        ("created_at", "2024-01-01 00:00:00+00"),
        ("started_at", "2024-01-01 00:00:00+00"),
        ("finished_at", "2024-01-01 00:00:00+00"),
        ("customers_total", 0),
        ("customers_done", 0),
        ("last_error", "none"),
        ("result", "{}"),
        ("lease_owner", "host:1:0"),
        ("lease_token", UUID()),
        ("lease_expires_at", "2099-01-01 00:00:00+00"),
        ("heartbeat_at", "2024-01-01 00:00:00+00"),
        ("checkpoint_customer", "C1"),
        ("updated_at", "2024-01-01 00:00:00+00"),
        ("cancel_requested", true),  // settable by UPDATE only
    ]

    /// User columns: settable on INSERT, never by UPDATE.
    static let insertOnlyColumns: [(column: String, value: any PostgresEncodable)] = [
        ("company_id", "B"),
        ("mode", "preview"),
        ("priority", 9),
        ("run_at", "2024-01-01 00:00:00+00"),
        ("dedupe_key", "changed"),
    ]

    @Test func anEnqueueLoginEnqueuesAndCancelsOnlyForItsCompany() async throws {
        let database = try await Self.seededDatabase()
        let enqueuer = uniqueRoleName("enq")
        let baseline = try await database.withConnection { try Self.visibility($0) }
        let outcome = try await Self.withLogins(database, [(enqueuer, "reimburse_enqueue")], access: [(enqueuer, "A")]) {
            try await database.withConnection(asUser: enqueuer) { connection -> EnqueueOutcome in
                // Before the new job exists, so that the counts compare with the baseline.
                let seen = try Self.visibility(connection)
                var insertedId: Int64?
                var insertError: PostgresError?
                do {
                    insertedId = try connection.queryValue(
                        Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ($1) RETURNING id", "A")
                } catch let error as PostgresError { insertError = error }
                let otherCompany = try connection.failure("INSERT INTO reimbursement_job (company_id) VALUES ($1)", "B")
                let unknownCompany = try connection.failure(
                    "INSERT INTO reimbursement_job (company_id) VALUES ($1)", "NOPE")
                var daemonColumnInserts: [String: PostgresError?] = [:]
                var daemonColumnUpdates: [String: PostgresError?] = [:]
                for (column, value) in Self.daemonColumns {
                    let quoted = try connection.quoteIdentifier(column)
                    daemonColumnInserts[column] = try connection.failure(
                        "INSERT INTO reimbursement_job (company_id, \(quoted)) VALUES ('A', $1)", value)
                    if column != "cancel_requested" {
                        daemonColumnUpdates[column] = try connection.failure(
                            "UPDATE reimbursement_job SET \(quoted) = $1 WHERE company_id = 'A' AND id = 1000003", value)
                    }
                }
                for (column, value) in Self.insertOnlyColumns {
                    let quoted = try connection.quoteIdentifier(column)
                    daemonColumnUpdates[column] = try connection.failure(
                        "UPDATE reimbursement_job SET \(quoted) = $1 WHERE company_id = 'A' AND id = 1000003", value)
                }
                let cancel = "UPDATE reimbursement_job SET cancel_requested = true WHERE company_id = $1 AND id = $2"
                let cancelOwn = try connection.execute(cancel, "A", Int64(1_000_003)).affectedRows
                let cancelOther = try connection.execute(cancel, "B", Int64(2_000_003)).affectedRows
                let cancelFinished = try connection.execute(cancel, "A", Int64(1_000_001)).affectedRows
                let approveOwn = try connection.failure(
                    "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', $1)", Int64(1_000_002))
                let approveOther = try connection.failure(
                    "INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('B', $1)", Int64(2_000_002))
                let bJobsById = try connection.count(
                    "SELECT count(*) FROM reimbursement_job WHERE id = ANY($1::bigint[])",
                    [Int64(2_000_001), 2_000_002, 2_000_003])
                let writes = try Self.writeAttempts(
                    connection, skipping: ["INSERT reimbursement_job", "UPDATE reimbursement_job"])
                return EnqueueOutcome(
                    insertedId: insertedId, insertError: insertError, otherCompany: otherCompany,
                    unknownCompany: unknownCompany, daemonColumnInserts: daemonColumnInserts,
                    daemonColumnUpdates: daemonColumnUpdates, cancelOwn: cancelOwn, cancelOther: cancelOther,
                    cancelFinished: cancelFinished, approveOwn: approveOwn, approveOther: approveOther, seen: seen,
                    bJobsById: bJobsById, writes: writes)
            }
        }

        Self.expectOnlyA(outcome.seen, baseline: baseline, who: "the enqueue login")
        #expect(outcome.insertError == nil, "\(describe(outcome.insertError))")
        let jobId = try #require(outcome.insertedId)

        #expect(outcome.otherCompany?.sqlState == SQLState.insufficientPrivilege, "\(describe(outcome.otherCompany))")
        #expect(outcome.otherCompany?.message.contains("row-level security") == true, "\(describe(outcome.otherCompany))")
        #expect(outcome.unknownCompany?.sqlState == SQLState.insufficientPrivilege, "\(describe(outcome.unknownCompany))")

        #expect(outcome.daemonColumnInserts.count == Self.daemonColumns.count)
        for (column, error) in outcome.daemonColumnInserts.sorted(by: { $0.key < $1.key }) {
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "INSERT setting \(column): \(describe(error))")
        }
        #expect(outcome.daemonColumnUpdates.count == Self.daemonColumns.count - 1 + Self.insertOnlyColumns.count)
        for (column, error) in outcome.daemonColumnUpdates.sorted(by: { $0.key < $1.key }) {
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "UPDATE of \(column): \(describe(error))")
        }

        #expect(outcome.cancelOwn == 1)
        #expect(outcome.cancelOther == 0, "cancelled a job of another company")
        #expect(outcome.cancelFinished == 0, "cancelled a finished job")
        #expect(outcome.approveOwn == nil, "approving its own succeeded preview: \(describe(outcome.approveOwn))")
        // B's preview is invisible: the answer is that of a job that does not exist.
        #expect(outcome.approveOther != nil)
        #expect(outcome.approveOther?.message.contains("succeeded") != true, "\(describe(outcome.approveOther))")
        #expect(outcome.bJobsById == 0)
        for (label, error) in outcome.writes.sorted(by: { $0.key < $1.key }) {
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "\(label): \(describe(error))")
        }

        // What the superuser sees afterwards.
        let (requestedBy, cancelled, jobsA, jobsB, daemonValues) = try await database.withConnection { connection in
            (try connection.queryValue(
                String.self, "SELECT requested_by FROM reimbursement_job WHERE company_id = 'A' AND id = $1", jobId),
             try connection.strings(
                "SELECT company_id || ':' || id FROM reimbursement_job WHERE cancel_requested ORDER BY 1"),
             try connection.count("SELECT count(*) FROM reimbursement_job WHERE company_id = 'A'"),
             try connection.count("SELECT count(*) FROM reimbursement_job WHERE company_id = 'B'"),
             try connection.strings(
                "SELECT state || ' ' || attempts || ' ' || coalesce(lease_owner, '-') FROM reimbursement_job WHERE company_id = 'A' AND id = 1000003"))
        }
        #expect(requestedBy == enqueuer)
        #expect(cancelled == ["A:1000003"])
        #expect(jobsA == (baseline["reimbursement_job"]?.a ?? 0) + 2, "its job and its approving job")
        #expect(jobsB == baseline["reimbursement_job"]?.b)
        #expect(daemonValues == ["queued 0 -"])
    }

    // MARK: - service

    @Test func theServiceRoleSeesAndRunsEveryCompany() async throws {
        let database = try await Self.seededDatabase()
        let daemon = uniqueRoleName("svc")
        let baseline = try await database.withConnection { try Self.visibility($0) }
        let (seen, internals, claimed, refused, allowed) = try await Self.withLogins(
            database, [(daemon, "reimburse_service")], access: [("someone_else", "B")]
        ) {
            try await database.withConnection(asUser: daemon) { connection in
                let seen = try Self.visibility(connection)
                let internals = try connection.strings(
                    """
                    SELECT 'number_sequence ' || count(DISTINCT company_id) FROM number_sequence
                    UNION ALL SELECT 'queue ' || count(*) FROM reimbursement_company_queue
                    UNION ALL SELECT 'access ' || count(*) FROM company_access
                    """)
                // What the daemon does: enqueue, claim, number, post.
                let claimed = try connection.transaction { connection -> Int in
                    try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('B')")
                    try connection.execute(
                        "SELECT company_id FROM reimbursement_company_queue WHERE company_id = 'B' FOR UPDATE SKIP LOCKED")
                    try connection.execute(
                        "UPDATE number_sequence SET next_value = next_value + 1 WHERE company_id = 'B' AND name = 'vendor_invoice'")
                    try connection.execute("DELETE FROM reimbursement_skip WHERE company_id = 'B'")
                    return try connection.execute(
                        """
                        UPDATE reimbursement_job SET state = 'running', attempts = attempts + 1, lease_token = gen_random_uuid(),
                               lease_owner = 'host:1:0', started_at = now()
                         WHERE company_id = 'B' AND id = 2000003
                        """).affectedRows
                }
                let refused = [
                    try connection.failure("DELETE FROM reimbursement WHERE company_id = 'A'"),
                    try connection.failure("DELETE FROM reimbursement_job WHERE company_id = 'A'"),
                    try connection.failure("DELETE FROM ledger_entry WHERE company_id = 'A'"),
                    try connection.failure("INSERT INTO company_access (role_name, company_id) VALUES ('x', 'A')"),
                ]
                let allowed = try connection.failure(
                    "INSERT INTO reimbursement_job_attempt (company_id, job_id, attempt, worker) VALUES ('B', 2000003, 1, 'host:1:0')")
                return (seen, internals, claimed, refused, allowed)
            }
        }
        for (relation, _) in Self.readable {
            let mine = try #require(seen[relation])
            let all = try #require(baseline[relation])
            #expect(mine == all, "the service role sees \(mine) of \(all) in \(relation)")
            #expect(mine.a >= 1 && mine.b >= 1, "\(relation): \(mine)")
        }
        #expect(internals == ["number_sequence 2", "queue 2", "access 1"])
        #expect(claimed == 1)
        for error in refused {
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "\(describe(error))")
        }
        #expect(allowed == nil, "\(describe(allowed))")
    }
}
