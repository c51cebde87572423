import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Synchronization
import Testing

/// Other sessions holding rows a job needs, with real PostgreSQL sessions: the job never skips
/// or double-counts a customer, never makes the ERP the victim of a deadlock, and never lets one
/// locked customer stall the others or use up its attempts (issue 11, kinds 4, 9 and 10).
@Suite("Locking")
struct LockingTests {
    /// Kind 4. Another session holds a customer FOR UPDATE while the job's first chunk comes to
    /// it, then renames it (moving its transactions along in the same statement, as the
    /// foreign key has no ON UPDATE CASCADE) and commits. Before the fix the chunk got the
    /// renamed row back from `ORDER BY account LIMIT n FOR UPDATE`: renamed in the middle of
    /// the chunk (C-010) it was counted twice (selected 101), renamed at the chunk's end
    /// (C-019) it became the checkpoint and C-020..C-099 were never looked at.
    @Test(arguments: ["C-010", "C-019"])
    func aCustomerRenamedWhileTheJobComesToItIsNeitherSkippedNorCountedTwice(held: String) async throws {
        let database = try await TestServer.database()
        let renamed = "Z-" + held.dropFirst(2)
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("REN", on: connection)
            for index in 0..<100 {
                let account = String(format: "C-%03d", index)
                try LedgerFixture.customer("REN", account, on: connection)
                try LedgerFixture.transaction("REN", account, amount: "-10", on: connection)
            }
            return try LedgerFixture.job("REN", on: connection)
        }
        let signals = Signals()
        let holder = Session(database, name: "holder")
        async let renaming: String = holder.run { connection in
            try connection.execute("BEGIN")
            try connection.execute(
                "SELECT account FROM customer WHERE company_id = 'REN' AND account = $1 FOR UPDATE", held)
            signals.locked.store(true, ordering: .releasing)
            try signals.waitFor(signals.proceed)
            try connection.execute("""
                WITH moved AS (
                    UPDATE customer_transaction SET customer_account = $2
                     WHERE company_id = 'REN' AND customer_account = $1 RETURNING 1)
                UPDATE customer SET account = $2 WHERE company_id = 'REN' AND account = $1
                """, held, renamed)
            try connection.execute("COMMIT")
            return "renamed"
        }
        try signals.waitFor(signals.locked)
        let worker = Session(database, name: Locking.jobSession)
        async let firstRun: String = worker.run { connection in
            defer { signals.jobReturned.store(true, ordering: .releasing) }
            return Locking.describe { try Store.runner(connection, chunkSize: 20).runQueuedJob(id: job) }
        }
        try await Locking.untilTheJobWaitsOrReturns(database, signals)
        signals.proceed.store(true, ordering: .releasing)
        #expect(try await renaming == "renamed")
        let first = try await firstRun
        let final = try await Locking.runUntilFinished(job, database)
        try await database.withConnection { connection in
            let result = try #require(try Store.result(of: job, on: connection))
            print("renamed \(held) -> \(renamed): first run \(first); then \(final); result selected "
                  + "\(result.selected), reimbursed \(result.reimbursed)")
            #expect(try Store.state(of: job, on: connection) == "succeeded")
            #expect(result.selected == 100, "each selected customer counted once")
            #expect(result.reimbursed == 100)
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction
                 WHERE company_id = 'REN' AND amount < 0 AND amount <> settled_amount
                """, on: connection) == 0, "every credit reimbursed")
            #expect(try Store.rows(
                "SELECT customer_account FROM reimbursement WHERE customer_account NOT LIKE 'C-%'", on: connection)
                == [String(renamed)])
            #expect(try Store.count("SELECT count(DISTINCT customer_account) FROM reimbursement", on: connection) == 100)
            let verification = try LedgerVerifier(connection: connection).verify(companyID: "REN")
            #expect(verification.passed, "\(verification.violations)")
        }
    }

    /// Kind 9. The ERP settles an open transaction of a customer and then, in the same
    /// transaction, inserts a new one for that customer (its foreign key check takes FOR KEY
    /// SHARE on the customer). The job comes in between. Before the fix the chunk held the
    /// customer FOR UPDATE and waited for the settled transaction: the ERP's insert closed the
    /// cycle and, its deadlock check coming first, the ERP's transaction was rolled back.
    @Test func anERPTransactionThatSettlesThenInsertsIsNeverTheDeadlockVictim() async throws {
        let database = try await TestServer.database()
        let (job, settled) = try await database.withConnection { connection in
            try LedgerFixture.company("ERP", on: connection)
            try LedgerFixture.customer("ERP", "C1", on: connection)
            try LedgerFixture.customer("ERP", "C2", on: connection)
            try LedgerFixture.transaction("ERP", "C1", amount: "-100", on: connection)
            let settled = try LedgerFixture.transaction("ERP", "C1", amount: "-50", on: connection)
            try LedgerFixture.transaction("ERP", "C2", amount: "-10", on: connection)
            return (try LedgerFixture.job("ERP", on: connection), settled)
        }
        let signals = Signals()
        let erp = Session(database, name: "erp")
        async let erpOutcome: String = erp.run { connection in
            try connection.execute("BEGIN")
            // The ERP's deadlock check runs first, as it did when the ERP was the victim.
            try connection.execute("SET LOCAL deadlock_timeout = '100ms'")
            try connection.execute("""
                UPDATE customer_transaction SET settled_amount = -20, settled_amount_accounting = -20
                 WHERE company_id = 'ERP' AND id = $1
                """, settled)
            signals.locked.store(true, ordering: .releasing)
            try signals.waitFor(signals.proceed)
            do {
                try LedgerFixture.transaction("ERP", "C1", amount: "-5", kind: "payment", on: connection)
                try connection.execute("COMMIT")
                return "committed"
            } catch let error as PostgresError {
                _ = try? connection.execute("ROLLBACK")
                return "failed \(error.sqlState ?? "?"): \(error.message)"
            }
        }
        try signals.waitFor(signals.locked)
        let worker = Session(database, name: Locking.jobSession)
        async let firstRun: String = worker.run { connection in
            defer { signals.jobReturned.store(true, ordering: .releasing) }
            return Locking.describe { try Store.runner(connection).runQueuedJob(id: job) }
        }
        try await Locking.untilTheJobWaitsOrReturns(database, signals)
        signals.proceed.store(true, ordering: .releasing)
        let erpResult = try await erpOutcome
        let first = try await firstRun
        let final = try await Locking.runUntilFinished(job, database)
        print("ERP: \(erpResult); job's first run: \(first); then \(final)")
        #expect(erpResult == "committed", "the ERP's transaction must always commit")
        try await database.withConnection { connection in
            #expect(try Store.state(of: job, on: connection) == "succeeded")
            // C1 is reimbursed whole once the ERP committed: 100 + (50 - 20) + 5.
            #expect(try Store.rows(
                "SELECT customer_account, amount FROM reimbursement ORDER BY 1", on: connection)
                == ["C1|135.000000", "C2|10.000000"])
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement_job_attempt WHERE job_id = $1 AND outcome IN ('retry', 'failed')",
                job, on: connection) == 0, "a lock conflict is no failed attempt")
            let verification = try LedgerVerifier(connection: connection).verify(companyID: "ERP")
            #expect(verification.passed, "\(verification.violations)")
        }
    }

    /// Kind 10. A clerk holds one customer's open transaction FOR UPDATE for a long time. The
    /// other customers of the same chunk are posted at once; the job goes back to the queue
    /// waiting for the locked one (backing off, no attempt used, the reason in wait_reason);
    /// once the clerk commits, the next run posts it and the job succeeds. Before the fix the
    /// whole chunk gave up after its lock timeout, nobody was posted, and every wait used an
    /// attempt.
    @Test func aCustomerLockedByAClerkIsDeferredWhileTheOthersPost() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("CLK", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("CLK", account, on: connection)
                try LedgerFixture.transaction("CLK", account, amount: "-10", on: connection)
            }
            return try LedgerFixture.job("CLK", on: connection)
        }
        let signals = Signals()
        let clerk = Session(database, name: "clerk")
        async let clerkDone: Void = clerk.run { connection in
            try connection.execute("BEGIN")
            try connection.execute(
                "SELECT id FROM customer_transaction WHERE company_id = 'CLK' AND customer_account = 'C2' FOR UPDATE")
            signals.locked.store(true, ordering: .releasing)
            try signals.waitFor(signals.proceed, seconds: 60)
            try connection.execute("COMMIT")
        }
        try signals.waitFor(signals.locked)
        try await database.withConnection { (connection: PostgresConnection) throws -> Void in
            for round in 1...2 {
                let outcome = Locking.describe {
                    try Store.runner(connection, lockTimeout: .milliseconds(300)).runQueuedJob(id: job)
                }
                print("while the clerk holds C2, run \(round): \(outcome)")
                #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
                    == ["C1", "C3"], "the others are posted at once")
                #expect(try Store.rows("""
                    SELECT state, attempts, lock_waits, wait_reason, deferred_customers::text,
                           run_at > now() + make_interval(secs => 0.5 * 2 ^ ($2 - 1))
                      FROM reimbursement_job WHERE id = $1
                    """, job, round, on: connection)
                    == ["queued|0|\(round)|waiting for locked customers: 1 (C2)|{C2}|t"])
            }
            #expect(try Store.rows(
                "SELECT outcome FROM reimbursement_job_attempt WHERE job_id = $1 ORDER BY attempt", job, on: connection)
                == ["waiting", "waiting"])
        }
        signals.proceed.store(true, ordering: .releasing)
        try await clerkDone
        try await database.withConnection { connection in
            try Store.run(job, on: connection)
            #expect(try Store.rows("""
                SELECT state, attempts, lock_waits, wait_reason IS NULL, deferred_customers::text, customers_done
                  FROM reimbursement_job WHERE id = $1
                """, job, on: connection) == ["succeeded|1|0|t|{}|3"])
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
                == ["C1", "C2", "C3"])
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.selected == 3 && result.reimbursed == 3)
            let verification = try LedgerVerifier(connection: connection).verify(companyID: "CLK")
            #expect(verification.passed, "\(verification.violations)")
        }
    }
}

/// Flags shared between a test and its sessions' threads.
final class Signals: Sendable {
    let locked = Atomic<Bool>(false)
    let proceed = Atomic<Bool>(false)
    let jobReturned = Atomic<Bool>(false)

    func waitFor(_ flag: borrowing Atomic<Bool>, seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !flag.load(ordering: .acquiring) {
            guard Date() < deadline else { throw TestSupportError("timed out waiting for another session") }
            usleep(2000)
        }
    }
}

/// A session of its own, on a thread of its own, named in pg_stat_activity.
struct Session: Sendable {
    let database: TestDatabase
    let name: String

    init(_ database: TestDatabase, name: String) {
        self.database = database
        self.name = name
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let thread = DedicatedThread(name: name)
        defer { thread.shutdown() }
        let conninfo = database.server.conninfo
        let dbname = database.name
        let name = self.name
        return try await thread.run {
            let connection = try PostgresConnection(conninfo: conninfo, overrides: ["dbname": dbname], applicationName: name)
            return try body(connection)
        }
    }
}

enum Locking {
    static let jobSession = "locking-job"

    /// What a run returned or threw, for the log.
    static func describe(_ run: () throws -> JobRunOutcome?) -> String {
        do {
            return String(describing: try run())
        } catch {
            return "threw \(error)"
        }
    }

    /// Until the job's session waits for a row lock, or the job's run returned (it did not
    /// wait): the moment the other session goes on.
    static func untilTheJobWaitsOrReturns(_ database: TestDatabase, _ signals: Signals) async throws {
        let deadline = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < deadline && !signals.jobReturned.load(ordering: .acquiring) {
            let waiting = try await database.withConnection { connection in
                try Store.count("""
                    SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'
                    """, jobSession, on: connection)
            }
            if waiting > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs the job again while it is queued (a wait or a retry), at most five times; says how
    /// each run ended.
    static func runUntilFinished(_ job: Int64, _ database: TestDatabase) async throws -> [String] {
        try await database.withConnection { connection in
            var runs: [String] = []
            for _ in 0..<5 where try Store.state(of: job, on: connection) == "queued" {
                runs.append(describe { try Store.runner(connection).runQueuedJob(id: job) })
            }
            return runs
        }
    }
}
