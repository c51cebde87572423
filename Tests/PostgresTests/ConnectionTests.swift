import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

@Suite("libpq wrapper against a real server")
struct ConnectionTests {
    @Test func parametersSurviveQuotesUnicodeAndSize() async throws {
        let database = try await TestServer.database(migrated: false)
        let tricky = ["it's", "\"double\"", "back\\slash", "'; DROP TABLE x; --", "Zürich 東京 🧾", "tab\tnew\nline"]
        let large = String(repeating: "ab€", count: 350_000)
        try await database.withConnection { connection in
            for value in tricky {
                #expect(try connection.queryValue(String.self, "SELECT $1::text", value) == value)
            }
            let echoed = try connection.queryValue(String.self, "SELECT $1::text", large)
            #expect(echoed == large)
            #expect(try connection.queryValue(Int.self, "SELECT octet_length($1::text)", large) == large.utf8.count)
        }
    }

    @Test func nullsBindAndDecode() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            let missing: String? = nil
            let row = try #require(try connection.execute("SELECT $1::text AS a, $2::int AS b", missing, 7).first)
            #expect(try row.decode(String?.self, "a") == nil)
            #expect(try row.decode(Int?.self, "b") == 7)
            #expect(throws: PostgresError.self) { try row.decode(String.self, "a") }
        }
    }

    @Test func numericRoundTripsExactly() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            let value = try #require(PostgresNumeric("123456789012345678.123456"))
            let back = try connection.queryValue(PostgresNumeric.self, "SELECT $1::numeric(24,6)", value)
            #expect(back == value)
            let sum = try connection.queryValue(
                PostgresNumeric.self, "SELECT $1::numeric(24,6) + $2::numeric(24,6)",
                value, try #require(PostgresNumeric("0.000001")))
            #expect(sum?.text == "123456789012345678.123457")
        }
    }

    @Test func typedRowsDecode() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            let row = try #require(try connection.execute("""
                SELECT 42::bigint, true, DATE '2024-02-29', TIMESTAMPTZ '2026-01-02 03:04:05.5+00',
                       ARRAY['a', 'b c', NULL]::text[], ARRAY[1, 2]::bigint[], gen_random_uuid()
                """).first)
            #expect(try row.decode(Int64.self, at: 0) == 42)
            #expect(try row.decode(Bool.self, at: 1) == true)
            #expect(try row.decode(PostgresDate.self, at: 2) == PostgresDate(year: 2024, month: 2, day: 29))
            let timestamp = try row.decode(Date.self, at: 3)
            #expect(timestamp.timeIntervalSince1970 == 1_767_323_045.5)
            #expect(try row.decode([String?].self, at: 4) == ["a", "b c", nil])
            #expect(try row.decode([Int64].self, at: 5) == [1, 2])
            _ = try row.decode(UUID.self, at: 6)
            let arrays = try #require(try connection.execute(
                "SELECT $1::text[], $2::bigint[]", ["x\"y", "z,w"], [Int64(5), -6]).first)
            #expect(try arrays.decode([String].self, at: 0) == ["x\"y", "z,w"])
            #expect(try arrays.decode([Int64].self, at: 1) == [5, -6])
        }
    }

    @Test func transactionRollsBackWhenBodyThrows() async throws {
        let database = try await TestServer.database(migrated: false)
        struct Abort: Error {}
        try await database.withConnection { connection in
            try connection.execute("CREATE TABLE t (v int)")
            #expect(throws: Abort.self) {
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO t VALUES (1)")
                    throw Abort()
                }
            }
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM t") == 0)
            try connection.transaction { connection in
                try connection.execute("INSERT INTO t VALUES (2)")
                try? connection.savepoint { connection in
                    try connection.execute("INSERT INTO t VALUES (3)")
                    throw Abort()
                }
            }
            #expect(try connection.query("SELECT v FROM t ORDER BY v") { try $0.decode(Int.self, at: 0) } == [2])
            #expect(!connection.isInTransaction)
        }
    }

    @Test func uniqueViolationCarriesSQLStateAndConstraint() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            try connection.execute("CREATE TABLE t (v int CONSTRAINT t_v_unique UNIQUE)")
            try connection.execute("INSERT INTO t VALUES (1)")
            do {
                try connection.execute("INSERT INTO t VALUES ($1)", 1)
                Issue.record("duplicate accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == SQLState.uniqueViolation)
                #expect(error.constraintName == "t_v_unique")
                #expect(error.detail?.contains("(v)=(1)") == true)
                #expect(error.kind == .server)
                #expect(!error.isTransient)
            }
            #expect(connection.isHealthy())
        }
    }

    @Test func copyLoadsOneHundredThousandRows() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            try connection.execute("CREATE TABLE t (id bigint, label text, amount numeric(24,6), note text)")
            let stored = try connection.copyIn("COPY t (id, label, amount, note) FROM STDIN") { writer in
                for id in 0..<100_000 {
                    try writer.row(Int64(id), "row\t\(id)\\x\n", PostgresNumeric("\(id).000001")!, id % 10 == 0 ? nil : "n")
                }
            }
            #expect(stored == 100_000)
            let row = try #require(try connection.execute(
                "SELECT count(*), sum(amount)::text, count(note), max(label) FILTER (WHERE id = 7) FROM t").first)
            #expect(try row.decode(Int.self, at: 0) == 100_000)
            #expect(try row.decode(String.self, at: 1) == "4999950000.100000")
            #expect(try row.decode(Int.self, at: 2) == 90_000)
            #expect(try row.decode(String.self, at: 3) == "row\t7\\x\n")
        }
    }

    @Test func copyErrorLeavesConnectionUsable() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            try connection.execute("CREATE TABLE t (id int NOT NULL)")
            #expect(throws: PostgresError.self) {
                try connection.copyIn("COPY t (id) FROM STDIN") { writer in
                    try writer.row(1)
                    try writer.row("not a number")
                }
            }
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM t") == 0)
        }
    }

    @Test func pipelineRunsManyStatementsInOneTrip() async throws {
        let database = try await TestServer.database(migrated: false)
        try await database.withConnection { connection in
            try connection.execute("CREATE TABLE t (v int PRIMARY KEY)")
            let statements = (1...50).map { PostgresStatement("INSERT INTO t VALUES ($1) RETURNING v", $0) }
            let results = try connection.pipeline(statements)
            #expect(results.count == 50)
            #expect(try results[49].first?.decode(Int.self, at: 0) == 50)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM t") == 50)
            #expect(throws: PostgresError.self) {
                try connection.pipeline([PostgresStatement("INSERT INTO t VALUES ($1)", 1)])
            }
            #expect(try connection.queryValue(Int.self, "SELECT 1") == 1)
        }
    }

    /// The waiter wakes on the notification, not at its 5 s timeout. How fast is a benchmark
    /// figure (`scripts/bench` latency), not a test bound: the elapsed time here includes
    /// opening the sender's connection on a machine that may be busy.
    @Test func notificationWakesTheWaiterBeforeItsTimeout() async throws {
        let database = try await TestServer.database(migrated: false)
        let listener = try await database.withConnection { connection -> Bool in
            try connection.listen("reimbursement_job")
            return true
        }
        #expect(listener)
        let sentAt = ContinuousClock.now
        async let received = database.withConnection { connection in
            try connection.waitForNotification(timeout: .seconds(5))
        }
        try await Task.sleep(for: .milliseconds(20))
        try await database.withNewConnection { connection in
            try connection.notify("reimbursement_job", payload: "inserted")
        }
        let notification = try await received
        let elapsed = ContinuousClock.now - sentAt
        #expect(notification?.channel == "reimbursement_job")
        #expect(notification?.payload == "inserted")
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        let none = try await database.withConnection { try $0.waitForNotification(timeout: .milliseconds(50)) }
        #expect(none == nil)
    }

    @Test func connectFailureNamesTargetButNotPassword() throws {
        do {
            _ = try PostgresConnection(conninfo: "host=/nonexistent-socket-folder dbname=x user=u password=s3cret-value")
            Issue.record("connected to nothing")
        } catch let error as PostgresError {
            #expect(error.kind == .connectionFailed)
            #expect(error.message.contains("/nonexistent-socket-folder"))
            #expect(!error.description.contains("s3cret-value"))
            #expect(error.isTransient)
        }
    }

    @Test func reconnectsAfterServerRestart() async throws {
        let dedicated = DedicatedThread(name: "restart-test")
        defer { dedicated.shutdown() }
        try await dedicated.run {
            let cluster = try LocalPostgresCluster.start(prefix: "reimburse-restart-test")
            defer { cluster.destroy() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo())
            let before = connection.backendPID
            try cluster.restart(mode: "immediate")
            #expect(!connection.isHealthy())
            do {
                try connection.execute("SELECT 1")
                Issue.record("a dead connection answered")
            } catch let error as PostgresError {
                #expect(error.isTransient)
            }
            try connection.reconnect()
            #expect(connection.isHealthy())
            #expect(connection.backendPID != before)
            #expect(try connection.queryValue(Int.self, "SELECT 1") == 1)
        }
    }

    @Test func connectionThreadReplacesABrokenConnection() async throws {
        let database = try await TestServer.database(migrated: false)
        let first = try await database.withConnection { Int($0.backendPID) }
        try await database.withNewConnection { connection in
            _ = try connection.execute("SELECT pg_terminate_backend($1)", first)
        }
        // The first use after the kill fails (the connection is found dead), the next reconnects.
        _ = try? await database.withConnection { _ = try $0.execute("SELECT 1") }
        let second = try await database.withConnection { Int($0.backendPID) }
        #expect(second != first)
    }
}
