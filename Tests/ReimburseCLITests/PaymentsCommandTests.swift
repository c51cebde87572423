import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// `reimburse enqueue --pay` and `reimburse payments --job N [--currency C]` (PRODUCT.md
/// sections 5 and 9).
@Suite("reimburse payments")
struct PaymentsCommandTests {
    /// Two currencies reimbursed; a pay run through the daemon; each document printed exactly
    /// as stored and valid; verify passes.
    @Test func aPayRunThroughTheDaemonPrintsItsDocuments() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try LedgerFixture.company("USMF", currency: "EUR", on: connection)
            try connection.execute("""
                UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_ledger_account = '1910' WHERE id = 'USMF'
                """)
            for (account, currency, amount, iban, bic) in [("C-1", "EUR", "-12.50", "FR1420041010050500013M02606", nil),
                                                            ("C-2", "GBP", "-7", "GB82WEST12345698765432", "NWBKGB2L")] {
                try LedgerFixture.customer("USMF", account, currency: currency, on: connection)
                try LedgerFixture.transaction("USMF", account, amount: amount, currency: currency, on: connection)
                try connection.execute(
                    "INSERT INTO customer_bank_account (company_id, customer_account, iban, bic) VALUES ('USMF', $1, $2, $3)",
                    account, iban, bic)
            }
            _ = try LedgerFixture.job("USMF", on: connection)
        }
        let url = ["--database-url", database.conninfo]
        let serve = ["serve", "--exit-when-idle"] + url
        #expect(try await Reimburse.start(serve).wait(timeout: .seconds(60)).exitCode == 0)
        let enqueue = try await Reimburse.start(
            ["enqueue", "--company", "USMF", "--pay", "--posting-date", "2026-12-31"] + url).wait(timeout: .seconds(60))
        #expect(enqueue.exitCode == 0, "\(enqueue)")
        let pay = try #require(Int64(enqueue.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await Reimburse.start(serve).wait(timeout: .seconds(60)).exitCode == 0)

        let both = try await Reimburse.start(["payments", "--job", "\(pay)"] + url).wait(timeout: .seconds(60))
        #expect(both.exitCode != 0)
        #expect(both.standardError.contains("choose one with --currency"), "\(both)")
        let eur = try await Reimburse.start(["payments", "--job", "\(pay)", "--currency", "EUR"] + url).wait(timeout: .seconds(60))
        #expect(eur.exitCode == 0, "\(eur)")
        let stored = try await database.withConnection { connection in
            try connection.queryValue(String.self, "SELECT document FROM payment_file WHERE job_id = $1 AND currency = 'EUR'", pay)
        }
        #expect(eur.standardOutput == stored)
        let check = try PaymentDocumentCheck.run(eur.standardOutput)
        #expect(check.schema_errors.isEmpty, "\(check.schema_errors)")
        #expect(check.amounts == [["EUR", "12.50"]])
        let gbp = try await Reimburse.start(["payments", "--job", "\(pay)", "--currency", "GBP"] + url).wait(timeout: .seconds(60))
        #expect(try PaymentDocumentCheck.run(gbp.standardOutput).blocks.map(\.kind) == ["generic"])
        let none = try await Reimburse.start(["payments", "--job", "\(pay)", "--currency", "JPY"] + url).wait(timeout: .seconds(60))
        #expect(none.standardError.contains("has no JPY document; it has: EUR, GBP"), "\(none)")
        let report = try await Reimburse.start(["report", "--company", "USMF", "--format", "csv"] + url).wait(timeout: .seconds(60))
        #expect(report.standardOutput.components(separatedBy: ",paid").count == 3, "\(report)")
        let verify = try await Reimburse.start(["verify"] + url).wait(timeout: .seconds(60))
        #expect(verify.exitCode == 0, "\(verify)")
    }

    @Test func mistakesGetOneClearLine() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try LedgerFixture.company("USMF", on: $0) }
        let url = ["--database-url", database.conninfo]
        let mixed = try await Reimburse.start(["enqueue", "--company", "USMF", "--pay", "--customers", "C1"] + url).wait(timeout: .seconds(60))
        #expect(mixed.standardError.contains("--pay cannot be combined"), "\(mixed)")
        let orphan = try await Reimburse.start(["enqueue", "--company", "USMF", "--pays-jobs", "1"] + url).wait(timeout: .seconds(60))
        #expect(orphan.standardError.contains("--pays-jobs goes with --pay"), "\(orphan)")
        let missing = try await Reimburse.start(["payments", "--job", "999"] + url).wait(timeout: .seconds(60))
        #expect(missing.exitCode != 0)
        #expect(missing.standardError.contains("job 999 does not exist"), "\(missing)")
    }
}
