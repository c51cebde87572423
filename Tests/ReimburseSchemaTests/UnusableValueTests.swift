import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Every column a user writes refuses every value the rules cannot use, by a named constraint
/// (issue 11 kind 7, issue 12 item 7; migration `0010_refuse_unusable_values.sql`).
///
/// The columns come from the catalog (`pg_attribute`), not from a list in this file: every
/// column of the tables users write (PRODUCT.md section 2, ``UnusableValueCatalog/userTables``)
/// plus the user-written columns of daemon tables (``UnusableValueCatalog/userColumnsElsewhere``),
/// grouped by base type:
/// - numeric: `NaN`, `Infinity`, `-Infinity`;
/// - date: `infinity`, `-infinity`, year 0 (`0001-12-31 BC`), year 10000;
/// - timestamptz: `infinity`, `-infinity`, year 0, year 10000;
/// - arrays: a NULL element, two dimensions, lower bound 0;
/// - integers: the out-of-range values of ``UnusableValueCatalog/integerRules``;
/// - text in a btree index: 6,000 random characters (PostgreSQL's raw "index row size exceeds
///   btree maximum" otherwise).
/// Each value is written by an UPDATE of seeded rows and must be refused with SQLSTATE 23514
/// by a check constraint of that table that covers that column. The one refusal no check can
/// name is `±Infinity` into a `numeric(p,s)` column: the type itself refuses it (22003) before
/// any check runs; the test accepts exactly that.
///
/// **A column added later to one of these tables without a guard makes this test fail**: it
/// must get a named constraint (in a new migration), or an integer rule, or an entry in
/// ``UnusableValueCatalog/exempt`` with the reason it needs none. A column of a type this test
/// does not know (jsonb, uuid, interval, ...) fails it too, until the test learns that type.
@Suite("Unusable values are refused by name")
struct UnusableValueTests {
    @Test func everyUserWrittenColumnRefusesWhatTheRulesCannotUse() async throws {
        let database = try await TestServer.database()
        let (columns, attempts, emptyTables) = try await database.withConnection { connection in
            try Fixture.seedPostedCompany("UV", base: 7000, on: connection)
            try connection.execute("INSERT INTO company_access (role_name, company_id) VALUES ('uv_reader', 'UV')")
            let columns = try UnusableValueCatalog.columns(on: connection)
            let empty = try Set(columns.map(\.table)).sorted().filter {
                try connection.count("SELECT count(*) FROM \(try connection.quoteIdentifier($0))") == 0
            }
            let guards = try UnusableValueCatalog.checkConstraintsByColumn(on: connection)
            var attempts: [UnusableValueAttempt] = []
            for column in columns {
                for probe in try UnusableValueCatalog.probes(for: column) {
                    let error = try connection.failure(
                        "UPDATE \(try connection.quoteIdentifier(column.table)) SET \(try connection.quoteIdentifier(column.name)) = $1",
                        probe.value)
                    attempts.append(UnusableValueAttempt(
                        column: column, probe: probe, error: error.map(RefusalSummary.init),
                        guards: guards[column.key] ?? []))
                }
            }
            return (columns, attempts, empty)
        }
        #expect(emptyTables.isEmpty, "no seeded row to update in \(emptyTables): the probes there prove nothing")
        // The catalog really was read: the columns the issue names are among those probed.
        let probed = Set(attempts.map(\.column.key))
        for key in ["company.minimum_reimbursement", "customer_transaction.amount", "customer_transaction.amount_accounting",
                    "customer_transaction.transaction_date", "reimbursement_job.posting_date", "reimbursement_job.run_at",
                    "reimbursement_job.customer_accounts", "reimbursement_job.customer_groups",
                    "reimbursement_job.dedupe_key", "reimbursement_job.max_attempts", "number_sequence.width",
                    "company.reimbursement_payment_days", "vendor_invoice.settled_amount"] {
            #expect(probed.contains(key), "\(key) was not probed; catalog columns: \(columns.map(\.key))")
        }
        for column in columns where column.unclassified {
            Issue.record("""
                \(column.key) (\(column.baseType)) is a user-written column of a type this test does not know: \
                guard it and teach UnusableValueCatalog.probes the type, or list it in UnusableValueCatalog.exempt with the reason
                """)
        }
        for attempt in attempts {
            if let problem = attempt.problem { Issue.record(Comment(rawValue: problem)) }
        }
    }

    /// The exemptions and rules name only columns that exist: a renamed or dropped column
    /// must not leave a stale excuse behind.
    @Test func exemptionsAndRulesNameExistingColumns() async throws {
        let database = try await TestServer.database()
        let keys = try await database.withConnection { connection in
            try Set(UnusableValueCatalog.columns(on: connection, includingExempt: true).map(\.key))
        }
        for key in UnusableValueCatalog.exempt.keys.sorted() {
            #expect(keys.contains(key), "exempt column \(key) does not exist")
        }
        for key in UnusableValueCatalog.integerRules.keys.sorted() {
            #expect(keys.contains(key), "integer rule for \(key), which does not exist")
        }
    }
}

/// One user-written column as the catalog describes it.
struct CatalogColumn: Sendable {
    var table: String
    var name: String
    /// `format_type` of the base type (domains resolved), without the type modifier:
    /// `numeric`, `date`, `text[]`, `integer`, ...
    var baseType: String
    /// True for `numeric(p,s)`: such a column refuses ±Infinity by its type (22003).
    var hasTypmod: Bool
    /// True when the column is a key column of an index (btree entries are limited to ~2.7 kB).
    var indexed: Bool

    var key: String { "\(table).\(name)" }

    var unclassified: Bool {
        !(["numeric", "date", "timestamp with time zone", "smallint", "integer", "bigint", "text", "boolean"]
            .contains(baseType) || baseType.hasSuffix("[]"))
    }
}

/// One value to try and what it stands for.
struct UnusableProbe: Sendable {
    var value: String
    var label: String
    /// The SQLSTATE of the type's own refusal that is accepted instead of a named check, when
    /// no check can run first (±Infinity into numeric(p,s), an integer beyond its type).
    var typeRefusal: String?
}

/// The server's error, reduced to what the assertions need (Sendable).
struct RefusalSummary: Sendable {
    var sqlState: String?
    var constraint: String?
    var message: String
    init(_ error: PostgresError) {
        sqlState = error.sqlState
        constraint = error.constraintName
        message = error.message + (error.detail.map { " / \($0.prefix(120))" } ?? "")
    }
}

struct UnusableValueAttempt: Sendable {
    var column: CatalogColumn
    var probe: UnusableProbe
    var error: RefusalSummary?
    /// Check constraints of the table that cover the column.
    var guards: Set<String>

    /// Nil when the value was refused as required, else what went wrong, for the test report.
    var problem: String? {
        let what = "\(column.key) = \(probe.label)"
        guard let error else { return "\(what) was accepted" }
        if let typeRefusal = probe.typeRefusal, error.sqlState == typeRefusal, error.constraint == nil { return nil }
        guard error.sqlState == SQLState.checkViolation, let constraint = error.constraint else {
            return "\(what) was refused without a named check: \(error.sqlState ?? "-") \(error.message)"
        }
        guard guards.contains(constraint) else {
            return "\(what) was refused by \(constraint), which is not a check of \(column.table) on \(column.name) "
                + "(checks on it: \(guards.sorted()))"
        }
        return nil
    }
}

/// What the table test reads from the catalog and what it tries per type.
enum UnusableValueCatalog {
    /// PRODUCT.md section 2: the tables users write.
    static let userTables = [
        "company", "number_sequence", "customer", "vendor", "customer_transaction", "reimbursement_job",
        "company_access", "ledger_period", "customer_bank_account", "vendor_bank_account",
    ]

    /// User-written columns of tables the daemon otherwise writes.
    static let userColumnsElsewhere = [
        "vendor_invoice.settled_amount",  // accounts payable raises it when it pays (PRODUCT.md section 3)
    ]

    /// Columns of the user tables that need no guard, and why. Written by the daemon (from exact
    /// engine values, `now()` or counters) or by the database itself, never by a user: the
    /// enqueue role has no privilege on them (sql/0005), and the owner writing them by hand is
    /// outside the contract.
    static let exempt: [String: String] = [
        "reimbursement_job.state": "daemon-owned job state",
        "reimbursement_job.attempts": "daemon-owned counter of claims",
        "reimbursement_job.created_at": "set by the database (default now())",
        "reimbursement_job.started_at": "daemon-owned (now() at the first claim)",
        "reimbursement_job.finished_at": "daemon-owned (now() at the end)",
        "reimbursement_job.customers_total": "daemon-owned progress counter",
        "reimbursement_job.customers_done": "daemon-owned progress counter",
        "reimbursement_job.last_error": "daemon-owned message",
        "reimbursement_job.result": "daemon-owned tally",
        "reimbursement_job.lease_owner": "daemon-internal lease",
        "reimbursement_job.lease_token": "daemon-internal fencing token",
        "reimbursement_job.lease_expires_at": "daemon-internal lease (now() + lease)",
        "reimbursement_job.heartbeat_at": "daemon-internal heartbeat (now())",
        "reimbursement_job.checkpoint_customer": "daemon-internal checkpoint (a customer account it read)",
        "reimbursement_job.updated_at": "set by the reimbursement_job_touch trigger",
        "reimbursement_job.requested_by": "set by the database (the inserting login), not by the inserter",
        "reimbursement_job.deferred_customers": "daemon-internal: customers the chunk could not lock yet (sql/0011)",
        "reimbursement_job.lock_waits": "daemon-internal counter of lock waits, drives the backoff (sql/0011)",
        "reimbursement_job.customers_gone": "daemon-owned progress counter (sql/0011)",
        "reimbursement_job.wait_reason": "daemon-owned message (sql/0011)",
        "reimbursement_job.holder_pid": "daemon-internal: the holding session's pid (sql/0012)",
        "reimbursement_job.holder_role": "daemon-internal: the holding session's login (sql/0012)",
        "reimbursement_job.holder_session": "daemon-internal: the holding session's application_name (sql/0012)",
        "reimbursement_job.holder_backend_start": "daemon-internal: the holding session's start (sql/0012)",
    ]

    /// How each integer column of the user tables is judged. A new integer column fails the
    /// test until it is listed here.
    enum IntegerRule: Sendable {
        /// Values the rules cannot use; each must be refused by a named check.
        case outOfRange([String])
        /// Every value of the type is a usable setting; the probe is the first value beyond the
        /// type, which the type itself refuses (22003).
        case wholeType(beyond: String, reason: String)
        /// An identifier: any value names a row or none; unknown ones are refused by keys.
        case identifier(reason: String)
    }

    static let integerRules: [String: IntegerRule] = [
        "company.reimbursement_payment_days": .outOfRange(["-1", "3651", "2147483647"]),
        // The top is bigint's own: the daemon reports an exhausted sequence by name.
        "number_sequence.next_value": .outOfRange(["0", "-9223372036854775808"]),
        "number_sequence.width": .outOfRange(["0", "31", "-1"]),
        "reimbursement_job.max_attempts": .outOfRange(["0", "101", "-1"]),
        "reimbursement_job.priority": .wholeType(
            beyond: "32768", reason: "only orders jobs within a company: every smallint is a usable priority"),
        "reimbursement_job.id": .identifier(reason: "generated; any bigint names a job"),
        "reimbursement_job.approves_job_id": .identifier(
            reason: "an unknown id is refused by reimbursement_job_approves_succeeded_preview (ConstraintTests)"),
        "reimbursement_job.retries_job_id": .identifier(
            reason: "an unknown or unfinished job is refused by reimbursement_job_retries_finished_job (sql/0017)"),
        "customer_transaction.id": .identifier(reason: "generated when not given; any bigint names a transaction"),
        "reimbursement_job.reverses_job_id": .identifier(
            reason: "an unknown id is refused by reimbursement_job_reverses_fk, another company's too (sql/0015)"),
    ]

    /// Six thousand random letters and digits: incompressible, so beyond a btree entry's limit.
    static let overlongText = String((0..<6_000).map { _ in
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".randomElement()!
    })

    static func probes(for column: CatalogColumn) throws -> [UnusableProbe] {
        switch column.baseType {
        case "numeric":
            let infinity = column.hasTypmod ? "22003" : nil
            return [UnusableProbe(value: "NaN", label: "NaN"),
                    UnusableProbe(value: "Infinity", label: "Infinity", typeRefusal: infinity),
                    UnusableProbe(value: "-Infinity", label: "-Infinity", typeRefusal: infinity)]
        case "date":
            return ["infinity", "-infinity", "0001-12-31 BC", "10000-01-01"].map { UnusableProbe(value: $0, label: $0) }
        case "timestamp with time zone":
            return ["infinity", "-infinity", "0001-12-31 23:59:59+00 BC", "10000-01-01 00:00:00+00"]
                .map { UnusableProbe(value: $0, label: $0) }
        case let type where type.hasSuffix("[]"):
            // Elements the element type reads: ids for bigint[] (sql/0015), codes otherwise.
            let (x, y) = type == "bigint[]" ? ("1", "2") : ("x", "y")
            return [UnusableProbe(value: "{\(x),NULL}", label: "an array with a NULL element"),
                    UnusableProbe(value: "{{\(x)},{\(y)}}", label: "a two-dimensional array"),
                    UnusableProbe(value: "[0:1]={\(x),\(y)}", label: "an array with lower bound 0")]
        case "smallint", "integer", "bigint":
            switch integerRules[column.key] {
            case .outOfRange(let values):
                return values.map { UnusableProbe(value: $0, label: $0) }
            case .wholeType(let beyond, _):
                return [UnusableProbe(value: beyond, label: "\(beyond) (beyond the type)", typeRefusal: "22003")]
            case .identifier:
                return []
            case nil:
                throw TestFailure("\(column.key) (\(column.baseType)) has no entry in UnusableValueCatalog.integerRules: "
                    + "give it a named range check, or say why every value is usable")
            }
        case "text":
            return column.indexed
                ? [UnusableProbe(value: overlongText, label: "6,000 characters (indexed)")] : []
        default:
            return []
        }
    }

    /// The user-written columns, from the catalog; exempt ones left out unless asked for.
    static func columns(on connection: PostgresConnection, includingExempt: Bool = false) throws -> [CatalogColumn] {
        let all = try connection.query(
            """
            SELECT c.relname::text, a.attname::text,
                   format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), NULL),
                   (CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) >= 0,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey::int2[]))
              FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid
              JOIN pg_type t ON t.oid = a.atttypid
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
               AND a.attnum > 0 AND NOT a.attisdropped
               AND (c.relname = ANY ($1::text[]) OR c.relname || '.' || a.attname = ANY ($2::text[]))
             ORDER BY c.relname, a.attnum
            """, userTables, userColumnsElsewhere
        ) { row in
            CatalogColumn(
                table: try row.decode(at: 0), name: try row.decode(at: 1), baseType: try row.decode(at: 2),
                hasTypmod: try row.decode(at: 3), indexed: try row.decode(at: 4))
        }
        return includingExempt ? all : all.filter { exempt[$0.key] == nil }
    }

    /// "table.column" -> names of the table's check constraints that mention the column.
    static func checkConstraintsByColumn(on connection: PostgresConnection) throws -> [String: Set<String>] {
        let rows = try connection.query(
            """
            SELECT c.relname || '.' || a.attname, con.conname::text
              FROM pg_constraint con
              JOIN pg_class c ON c.oid = con.conrelid
              JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
             WHERE con.contype = 'c' AND c.relnamespace = current_schema()::regnamespace
            """
        ) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        return Dictionary(grouping: rows, by: \.0).mapValues { Set($0.map(\.1)) }
    }
}
