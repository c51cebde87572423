import Foundation
import Postgres
import ReimburseEngine
import ReimburseStore
import ReimburseTestSupport
import Testing

/// A row-secured login (the production daemon) sends a chunk's writes as one pipeline
/// (ChunkStatements): a refusal in the middle of it, or a settle count that does not add up,
/// must end the same way as when every statement was its own round trip. Each case runs as a
/// service login (pipelined INSERTs) and as the table owner (COPY, one statement at a time).
@Suite("Pipelined chunk writes")
struct PipelinedPostingTests {
    /// Runs `body` as a fresh `reimburse_service` login, or as the owner.
    static func asLogin(
        serviceLogin: Bool, _ database: TestDatabase,
        _ body: @escaping @Sendable (PostgresConnection) throws -> Void
    ) async throws {
        guard serviceLogin else {
            try await database.withConnection { connection in try body(connection) }
            return
        }
        try await RowSecurityTests.withServiceLogin(database) { login in
            try await Store.asLogin(login, database: database) { connection in
                #expect(try connection.queryValue(Bool.self, "SELECT row_security_active('reimbursement')") == true)
                try body(connection)
            }
        }
    }

    /// vendor_invoice is written after the vendors, their bank accounts, the debits and the
    /// reimbursements of the chunk: its refusal comes from the middle of the pipeline. The
    /// chunk falls back to customer-by-customer posting: C2 becomes invalid_data naming the
    /// constraint, C1 and C3 are posted, the numbers stay gap-free, the ledger verifies.
    @Test(arguments: [true, false])
    func aRefusalInTheMiddleOfTheChunkPostsTheOthersCustomerByCustomer(serviceLogin: Bool) async throws {
        let database = try await TestServer.database()
        let (job, refused) = try await database.withConnection { connection in
            try LedgerFixture.company("MID", on: connection)
            try connection.execute("ALTER TABLE vendor_invoice ADD CONSTRAINT erp_invoice_limit CHECK (amount <= 100)")
            try LedgerFixture.customer("MID", "C1", on: connection)
            try LedgerFixture.transaction("MID", "C1", amount: "-10", on: connection)
            try LedgerFixture.customer("MID", "C2", on: connection)
            let refused = try LedgerFixture.transaction("MID", "C2", amount: "-200", on: connection)
            try LedgerFixture.customer("MID", "C3", on: connection)
            try LedgerFixture.transaction("MID", "C3", amount: "-30", on: connection)
            return (try LedgerFixture.job("MID", on: connection), refused)
        }
        try await Self.asLogin(serviceLogin: serviceLogin, database) { connection in
            try Store.run(job, chunkSize: 10, on: connection)
        }
        try await database.withConnection { connection in
            #expect(try RuleTests.reimbursements(job, on: connection) == [
                "C1|OTV-00000001|t|USD|10.000000|10.000000",
                "C3|OTV-00000002|t|USD|30.000000|30.000000",
            ])
            let skips = try MoneyPathTests.skipsWithDetail(job, on: connection)
            #expect(skips.count == 1)
            #expect(skips.first?.hasPrefix("C2|NULL|invalid_data|NULL|200.000000|") == true, "\(skips)")
            #expect(skips.first?.contains("erp_invoice_limit") == true
                    && skips.first?.contains("credit \(refused)") == true, "\(skips)")
            // Nothing of C2's attempt survived: no vendor, no debit, no number taken for it.
            #expect(try Store.rows(
                "SELECT account FROM vendor WHERE company_id = 'MID' ORDER BY account", on: connection)
                == ["OTV-00000001", "OTV-00000002"])
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE company_id = 'MID' AND customer_account = 'C2'",
                on: connection) == 1)
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE company_id = 'MID' AND settled_amount <> 0",
                on: connection) == 2 + 2)
            #expect(try Store.result(of: job, on: connection)?.skipped("invalid_data") == 1)
            try MoneyPathTests.expectVerified("MID", on: connection)
        }
    }

    /// A credit that changes under the chunk between the rows and the settling (here an ERP
    /// trigger on ledger_entry, written before the credits are settled in the same batch):
    /// the settle function's count does not add up, the job fails naming it, and nothing of
    /// the chunk is posted.
    @Test(arguments: [true, false])
    func aSettleCountThatDoesNotAddUpFailsTheChunkWhole(serviceLogin: Bool) async throws {
        let database = try await TestServer.database()
        let sequencesSQL = "SELECT name, next_value FROM number_sequence WHERE company_id = 'CHG' ORDER BY name"
        let (job, sequences) = try await database.withConnection { connection in
            try LedgerFixture.company("CHG", on: connection)
            for account in ["C1", "C2", "C3"] {
                try LedgerFixture.customer("CHG", account, on: connection)
                try LedgerFixture.transaction("CHG", account, amount: "-20", on: connection)
            }
            try connection.executeScript("""
                CREATE FUNCTION erp_touch_credit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                BEGIN
                    UPDATE customer_transaction SET settled_amount = -1, settled_amount_accounting = -1
                     WHERE company_id = 'CHG' AND customer_account = 'C2' AND amount < 0;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER erp_touch_credit AFTER INSERT ON ledger_entry
                    FOR EACH STATEMENT EXECUTE FUNCTION erp_touch_credit();
                """)
            return (try LedgerFixture.job("CHG", on: connection), try Store.rows(sequencesSQL, on: connection))
        }
        try await Self.asLogin(serviceLogin: serviceLogin, database) { connection in
            #expect(throws: JobFailure.self) { _ = try Store.runner(connection).runQueuedJob(id: job) }
        }
        try await database.withConnection { connection in
            let row = try AttackTests.jobRow(job, on: connection)
            #expect(row.hasPrefix("failed|") && row.contains("1 credit(s) changed while the chunk held their lock"),
                    "\(row)")
            #expect(try Store.count("SELECT count(*) FROM reimbursement", on: connection) == 0)
            #expect(try Store.count("SELECT count(*) FROM reimbursement_skip", on: connection) == 0)
            #expect(try Store.count(
                "SELECT count(*) FROM customer_transaction WHERE company_id = 'CHG' AND settled_amount <> 0",
                on: connection) == 0)
            #expect(try Store.rows(sequencesSQL, on: connection) == sequences)
        }
    }
}
