import Foundation
import Postgres
import ReimburseEngine
@testable import ReimburseStore
import ReimburseTestSupport
import Synchronization
import Testing

/// A chunk decides on locked customers: other sessions cannot add or settle their transactions
/// half-way, and a chunk does not wait forever on someone else's lock.
@Suite("Concurrency")
struct ConcurrencyTests {
    /// The chunk's locks (the loader's own statements, taken by session A) keep a customer and
    /// its open transactions fixed while the chunk decides, but do not stop the ERP from
    /// inserting a new transaction for that customer: its foreign key check takes FOR KEY SHARE,
    /// which FOR NO KEY UPDATE does not conflict with (with FOR UPDATE it did, and an ERP
    /// transaction that had settled something first became a deadlock victim). Customers outside
    /// the chunk are not blocked at all.
    @Test func theChunksLocksFixTheCustomerButLetNewTransactionsIn() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("LOCK", on: connection)
            try LedgerFixture.customer("LOCK", "C1", on: connection)
            try LedgerFixture.customer("LOCK", "C2", on: connection)
            try LedgerFixture.transaction("LOCK", "C1", amount: "-10", on: connection)
            try LedgerFixture.transaction("LOCK", "C2", amount: "-10", on: connection)
            let job = try #require(try StoredJob.load(id: try LedgerFixture.job("LOCK", on: connection), on: connection))
            try connection.execute("BEGIN")
            let chunk = try ChunkLoader(connection: connection, job: job).lock(["C1"])
            #expect(chunk.customers.map(\.account) == ["C1"] && chunk.deferred.isEmpty && chunk.gone.isEmpty)
        }
        let outcome = try await database.withNewConnection { other -> [String] in
            try other.execute("SET lock_timeout = '200ms'")
            func attempt(_ what: String, _ sql: String) -> String {
                do {
                    try other.execute(sql)
                    return "\(what) done"
                } catch let error as PostgresError {
                    return "\(what) \(error.sqlState ?? "?")"
                } catch {
                    return "\(what) \(error)"
                }
            }
            return [
                attempt("C1 new payment", """
                    INSERT INTO customer_transaction (company_id, customer_account, voucher, kind, currency, amount,
                                                      amount_accounting, ledger_account)
                    VALUES ('LOCK', 'C1', 'P-2', 'payment', 'USD', -5, -5, '1200')
                    """),
                attempt("C1 on hold", "UPDATE customer SET on_hold = true WHERE company_id = 'LOCK' AND account = 'C1'"),
                attempt("C1 settled", """
                    UPDATE customer_transaction SET settled_amount = -1, settled_amount_accounting = -1
                     WHERE company_id = 'LOCK' AND customer_account = 'C1' AND voucher = 'V-C1'
                    """),
                attempt("C2 on hold", "UPDATE customer SET on_hold = true WHERE company_id = 'LOCK' AND account = 'C2'"),
            ]
        }
        #expect(outcome == [
            "C1 new payment done", "C1 on hold \(SQLState.lockNotAvailable)", "C1 settled \(SQLState.lockNotAvailable)",
            "C2 on hold done",
        ])
        try await database.withConnection { connection in
            try connection.execute("COMMIT")
            #expect(try Store.count("SELECT count(*) FROM customer_transaction WHERE customer_account = 'C1'",
                                    on: connection) == 2)
        }
    }

    /// A chunk locks exactly the keys it chose, and takes a row only under the key it was chosen
    /// by: a customer renamed (committed) between the choice and the lock is reported gone, not
    /// returned under its new account, and a customer another session holds is deferred.
    @Test func aChunkLocksExactlyTheKeysItChose() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("KEYS", on: connection)
            for account in ["C1", "C2", "C3", "C4"] {
                try LedgerFixture.customer("KEYS", account, on: connection)
                try LedgerFixture.transaction("KEYS", account, amount: "-10", on: connection)
            }
            return try #require(try StoredJob.load(id: try LedgerFixture.job("KEYS", on: connection), on: connection))
        }
        let keys = try await database.withConnection { connection in
            try ChunkLoader(connection: connection, job: job).nextKeys(after: nil, limit: 3)
        }
        #expect(keys == ["C1", "C2", "C3"])
        try await database.withNewConnection { other -> Void in
            try other.execute("""
                WITH moved AS (
                    UPDATE customer_transaction SET customer_account = 'Z2'
                     WHERE company_id = 'KEYS' AND customer_account = 'C2' RETURNING 1)
                UPDATE customer SET account = 'Z2' WHERE company_id = 'KEYS' AND account = 'C2'
                """)
        }
        try await database.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.execute("UPDATE customer SET name = 'busy' WHERE company_id = 'KEYS' AND account = 'C3'")
        }
        let chunk = try await database.withNewConnection { connection in
            try connection.transaction { connection in
                let chunk = try ChunkLoader(connection: connection, job: job).lock(keys)
                return (chunk.customers.map(\.account), chunk.deferred, chunk.gone)
            }
        }
        try await database.withConnection { connection -> Void in try connection.execute("COMMIT") }
        #expect(chunk.0 == ["C1"])
        #expect(chunk.1 == ["C3"], "held by another session: deferred")
        #expect(chunk.2 == ["C2"], "renamed since it was chosen: gone under that key")
    }

    /// A job runs while another session keeps inserting payments for the same customers: each
    /// payment is either reimbursed in full with its customer or left fully open, never half;
    /// the ledger stays balanced.
    @Test func paymentsInsertedDuringAJobAreEitherIncludedOrLeftOpen() async throws {
        let database = try await TestServer.database()
        let customers = 120
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("RACE", on: connection)
            for index in 1...customers {
                let account = String(format: "R%03d", index)
                try LedgerFixture.customer("RACE", account, on: connection)
                try LedgerFixture.transaction("RACE", account, amount: "-10", on: connection)
            }
            return try LedgerFixture.job("RACE", on: connection)
        }
        let finished = Atomic<Bool>(false)
        async let inserted: Int = database.withNewConnection { other in
            var count = 0
            // Keep writing until the job is done; each payment waits while its customer's chunk
            // holds the lock.
            while !finished.load(ordering: .acquiring) && count < 5000 {
                let account = String(format: "R%03d", (count * 37) % customers + 1)
                try LedgerFixture.transaction("RACE", account, amount: "-1.25", ledgerAccount: "1300", on: other)
                count += 1
            }
            return count
        }
        try await database.withConnection { connection in
            defer { finished.store(true, ordering: .releasing) }
            try Store.run(job, chunkSize: 5, on: connection)
        }
        let payments = try await inserted
        #expect(payments > 0)
        try await database.withConnection { connection in
            try PostingAudit.expectConsistent(company: "RACE", on: connection)
            // Every credit is either untouched or fully settled by this job.
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction c
                 WHERE c.company_id = 'RACE' AND c.amount < 0
                   AND NOT (c.settled_amount = 0
                            OR (c.settled_amount = c.amount AND EXISTS (
                                SELECT 1 FROM customer_settlement s WHERE s.credit_transaction_id = c.id AND s.job_id = $1)))
                """, job, on: connection) == 0)
            // Each customer was reimbursed once, for exactly what it held when its chunk ran:
            // its first credit and none or some of the payments; the rest are open.
            #expect(try Store.count(
                "SELECT count(*) FROM reimbursement WHERE job_id = $1", job, on: connection) == customers)
            #expect(try Store.count("""
                SELECT count(*) FROM customer_transaction c
                 WHERE c.company_id = 'RACE' AND c.amount = -10 AND c.settled_amount <> c.amount
                """, on: connection) == 0)
            let result = try #require(try Store.result(of: job, on: connection))
            #expect(result.reimbursed == customers)
            let sum = try connection.queryValue(String.self, "SELECT sum(amount)::text FROM reimbursement WHERE job_id = $1", job)
            #expect(sum.flatMap(Money.init(exactly:)) == result.total("USD"))
        }
    }

    /// A chunk that cannot get a lock it must wait for (here the company's number sequence,
    /// held by another session) within the configured lock timeout gives up with SQLSTATE
    /// 55P03 and writes nothing; the job waits without using an attempt and continues later.
    /// (Customers and their transactions are never waited for: see LockingTests.)
    @Test func aChunkGivesUpAfterItsLockTimeout() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("WAIT", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("WAIT", account, on: connection)
                try LedgerFixture.transaction("WAIT", account, amount: "-10", on: connection)
            }
            return try LedgerFixture.job("WAIT", on: connection)
        }
        // Another session holds the company's vendor invoice numbers in a long transaction.
        let holder = DedicatedThread(name: "lock-holder")
        defer { holder.shutdown() }
        let release = Atomic<Bool>(false)
        let locked = Atomic<Bool>(false)
        let conninfo = database.server.conninfo
        let name = database.name
        async let held: Void = holder.run {
            let other = try PostgresConnection(conninfo: conninfo, overrides: ["dbname": name])
            try other.execute("BEGIN")
            try other.execute(
                "UPDATE number_sequence SET next_value = next_value WHERE company_id = 'WAIT' AND name = 'vendor_invoice'")
            locked.store(true, ordering: .releasing)
            let deadline = Date().addingTimeInterval(5)
            while !release.load(ordering: .acquiring) && Date() < deadline { usleep(5000) }
            try other.execute("COMMIT")
        }
        try await database.withConnection { connection in
            while !locked.load(ordering: .acquiring) { usleep(1000) }
            let lease = try #require(try JobStateStore.claim(
                jobID: job, owner: "test", leaseDuration: .seconds(30), on: connection))
            let runner = Store.runner(connection, chunkSize: 1, lockTimeout: .milliseconds(300))
            let began = Date()
            let error = #expect(throws: PostgresError.self) { _ = try runner.run(lease) }
            let waited = Date().timeIntervalSince(began)
            release.store(true, ordering: .releasing)
            #expect(error?.sqlState == SQLState.lockNotAvailable)
            #expect(waited < 3, "waited \(waited) s for a 300 ms lock timeout")
            // C1's chunk left nothing.
            #expect(try Store.rows("SELECT customer_account FROM reimbursement", on: connection) == [])
            try JobStateStore.waitForLock(lease, error: error?.description ?? "", backoff: LockWaitBackoff(), on: connection)
        }
        try await held
        try await database.withConnection { connection in
            #expect(try Store.rows(
                "SELECT state, attempts, lock_waits, wait_reason LIKE 'waiting for a lock: %55P03%' FROM reimbursement_job WHERE id = $1",
                job, on: connection) == ["queued|0|1|t"])
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection)
                == ["C1", "C2", "C3"])
            #expect(try Store.result(of: job, on: connection)?.reimbursed == 3)
            try PostingAudit.expectConsistent(company: "WAIT", on: connection)
        }
    }

    /// The library entry point never leaves a job `running` behind the caller's back: a lock
    /// timeout puts it back in the queue (a wait, no attempt used), data the database refuses
    /// fails it.
    @Test func theLibraryEntryPointLeavesNoJobRunning() async throws {
        let database = try await TestServer.database()
        let job = try await database.withConnection { connection in
            try LedgerFixture.company("LIB", on: connection)
            for account in ["C1", "C2"] {
                try LedgerFixture.customer("LIB", account, on: connection)
                try LedgerFixture.transaction("LIB", account, amount: "-10", on: connection)
            }
            let job = try LedgerFixture.job("LIB", on: connection)
            // Another session holds the vendor invoice numbers.
            try connection.execute("BEGIN")
            try connection.execute("UPDATE number_sequence SET next_value = next_value WHERE name = 'vendor_invoice'")
            return job
        }
        let error = try await database.withNewConnection { other in
            do {
                _ = try Store.runner(other, chunkSize: 1, lockTimeout: .milliseconds(200)).runQueuedJob(id: job)
                return "no error"
            } catch let error as PostgresError {
                return error.sqlState ?? "?"
            }
        }
        #expect(error == SQLState.lockNotAvailable)
        try await database.withConnection { connection in
            try connection.execute("COMMIT")
            #expect(try Store.rows(
                "SELECT state, attempts, lease_token IS NULL, customers_done FROM reimbursement_job WHERE id = $1", job,
                on: connection) == ["queued|0|t|0"])
            #expect(try Store.rows(
                "SELECT outcome, error LIKE '%55P03%' FROM reimbursement_job_attempt WHERE job_id = $1", job,
                on: connection) == ["waiting|t"])
            // The next call runs it ...
            try Store.run(job, on: connection)
            #expect(try Store.rows("SELECT customer_account FROM reimbursement ORDER BY 1", on: connection) == ["C1", "C2"])

            // ... and a posting the database refuses fails the job with the database's reason.
            try LedgerFixture.customer("LIB", "C3", on: connection)
            try LedgerFixture.transaction("LIB", "C3", amount: "-10", on: connection)
            try connection.executeScript("""
                CREATE FUNCTION refuse_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'period closed' USING ERRCODE = 'check_violation'; END $$;
                CREATE TRIGGER refuse_invoice BEFORE INSERT ON vendor_invoice FOR EACH ROW EXECUTE FUNCTION refuse_invoice();
                """)
            let refused = try LedgerFixture.job("LIB", on: connection)
            #expect(throws: PostgresError.self) { _ = try Store.runner(connection).runQueuedJob(id: refused) }
            let row = try Store.rows("SELECT state, last_error FROM reimbursement_job WHERE id = $1", refused, on: connection)
            #expect(row.count == 1 && row[0].hasPrefix("failed|the database refused a row (integrity constraint, SQLSTATE 23514)")
                    && row[0].contains(": period closed"), "\(row)")
            #expect(try Store.count("SELECT count(*) FROM reimbursement WHERE job_id = $1", refused, on: connection) == 0)
        }
    }
}
