import Foundation
import Postgres
import ReimburseStore
import ReimburseTestSupport
import Testing

/// A payment run killed mid-run (SIGKILL of real daemons) resumes after its checkpoint and never
/// pays an invoice twice; every payment ends in exactly one document (issue 17).
@Suite("Payment runs under kill -9", .serialized)
struct PaymentCrashTests {
    @Test func killedPaymentRunsResumeAndNeverPayTwice() async throws {
        let companies = (1...6).map { "P" + String(format: "%02d", $0) }
        let seed = UInt64(ProcessInfo.processInfo.environment["REIMBURSE_RELIABILITY_SEED"] ?? "")
            ?? UInt64.random(in: 1...UInt64.max)
        figure("payment kill -9: seed \(seed) (REIMBURSE_RELIABILITY_SEED to repeat)")
        let database = try await TestServer.database()
        let postJobs = try await database.withConnection { connection in
            try companies.flatMap { company -> [Int64] in
                try Ledgers.company(company, customers: 300, on: connection)
                try connection.execute("""
                    UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_ledger_account = '1910' WHERE id = $1
                    """, company)
                try connection.execute("""
                    INSERT INTO customer_bank_account (company_id, customer_account, iban, bic)
                    SELECT company_id, account, 'FR1420041010050500013M02606', 'PSSTFRPPLIL' FROM customer WHERE company_id = $1
                    """, company)
                return try Ledgers.jobs(company, on: connection)
            }
        }
        let posting = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 50, exitWhenIdle: true)
        try posting.start()
        try await posting.waitAll()
        let invoices = try await database.withConnection { connection in
            // Vendors named by customers get the same account; then one pay run per company.
            try connection.execute("""
                INSERT INTO vendor_bank_account (company_id, vendor_account, iban, bic)
                SELECT company_id, account, 'NL91ABNA0417164300', 'ABNANL2A' FROM vendor ON CONFLICT DO NOTHING
                """)
            try connection.execute("""
                INSERT INTO reimbursement_job (company_id, operation, posting_date, max_attempts)
                SELECT id, 'pay', '2027-01-31', 100 FROM company WHERE id = ANY ($1)
                """, companies)
            return try connection.queryValue(Int.self, "SELECT count(*) FROM vendor_invoice WHERE company_id = ANY ($1)", companies) ?? 0
        }
        #expect(invoices > 600, "\(postJobs.count) reimburse jobs made \(invoices) invoices")

        let daemons = Daemons(databaseURL: database.conninfo, workers: 2, chunkSize: 2)
        try daemons.start(count: 2)
        var random = SplitMix(state: seed)
        let kills = try await daemons.killWhileRunning(operation: "pay", kills: 6, random: &random, database: database)
        #expect(kills >= 1, "no payment run was running to be killed")
        try await waitUntil("every payment run to end", timeout: .seconds(240), interval: .milliseconds(200)) {
            try await database.withConnection { try Ledgers.unfinishedJobs(on: $0) } == 0
        }
        try await daemons.stopAll()
        let totalKills = kills
        try await database.withConnection { connection in
            #expect(try connection.strings(
                "SELECT operation || ' ' || state || ' ' || count(*) FROM reimbursement_job GROUP BY operation, state ORDER BY 1")
                == ["pay succeeded \(companies.count)", "reimburse succeeded \(postJobs.count)"])
            let paid = try connection.queryValue(Int.self, "SELECT count(*) FROM vendor_payment") ?? 0
            #expect(paid > 600)
            #expect(try connection.queryValue(Int.self, "SELECT count(DISTINCT (company_id, vendor_invoice_id)) FROM vendor_payment") == paid)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM vendor_payment WHERE payment_file_id IS NULL") == 0)
            #expect(try connection.queryValue(Int.self, "SELECT sum(transactions)::int FROM payment_file") == paid)
            #expect(try connection.queryValue(Int.self, "SELECT count(*) FROM vendor_invoice WHERE settled_amount = amount") == paid)
            let lost = try connection.queryValue(Int.self, """
                SELECT count(*) FROM reimbursement_job_attempt a JOIN reimbursement_job j
                  ON j.company_id = a.company_id AND j.id = a.job_id
                 WHERE j.operation = 'pay' AND a.outcome = 'lost'
                """) ?? 0
            #expect(lost >= 1, "the kills should have interrupted running payment runs")
            for document in try connection.strings("SELECT document FROM payment_file ORDER BY id") {
                let check = try PaymentDocumentCheck.run(document)
                #expect(check.schema_errors.isEmpty, "\(check.schema_errors)")
                #expect(check.group.transactions == check.counted.transactions)
            }
            try Ledgers.expectVerified(on: connection)
            figure("payment kill -9: \(totalKills) SIGKILLs, \(paid) invoices paid once each, \(lost) lost attempts resumed")
        }
    }
}
