import Foundation
import Postgres
@testable import ReimburseStore
import ReimburseTestSupport
import Testing

/// Bank data (sql/0019, PRODUCT.md section 9): IBANs and BICs are checked when written, by
/// named constraints, and the database's verdict agrees with schwifty's (an independent
/// implementation of ISO 13616 and ISO 9362).
@Suite("Bank accounts are checked when written")
struct BankAccountSchemaTests {
    /// Valid IBANs of many countries (the registries' examples) and BICs.
    static let validIBANs = [
        "DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300", "GB29NWBK60161331926819",
        "GB82WEST12345698765432", "BE68539007547034", "AT611904300234573201", "CH9300762011623852957",
        "ES9121000418450200051332", "IT60X0542811101000000123456", "FI2112345600000785", "NO9386011117947",
        "SE4550000000058398257466", "PL61109010140000071219812874", "TR330006100519786457841326",
        "MT84MALT011000012345MTLCAST001S", "KW81CBKU0000000000001234560101", "LC55HEMM000100010012001200023015",
    ]

    /// Each valid IBAN broken in the ways people break them.
    static var brokenIBANs: [String] {
        validIBANs.flatMap { iban -> [String] in
            let chars = Array(iban)
            var swapped = chars
            swapped.swapAt(6, 7)
            var digit = chars
            digit[chars.count - 1] = chars[chars.count - 1] == "1" ? "2" : "1"
            return [String(swapped), String(digit), iban.lowercased(), String(iban.dropLast()), iban + "0",
                    String(iban.prefix(4)) + " " + String(iban.dropFirst(4))]
        } + ["XX89370400440532013000", "DE00370400440532013000", "", "DE", "DE89 3704 0044 0532 0130 00"]
    }

    @Test func ibanVerdictsAgreeWithSchwifty() async throws {
        let candidates = Self.validIBANs + Self.brokenIBANs
        let database = try await TestServer.database()
        let verdicts = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try Fixture.vendor("A", "V1", on: connection)
            var verdicts: [(iban: String, accepted: Bool, constraint: String?)] = []
            for iban in candidates {
                let error = try connection.failure(
                    "INSERT INTO vendor_bank_account (company_id, vendor_account, iban) VALUES ('A', 'V1', $1)", iban)
                verdicts.append((iban, error == nil, error?.constraintName))
                try connection.execute("DELETE FROM vendor_bank_account")
            }
            return verdicts
        }
        let schwifty = try SchwiftyVerdicts.of(candidates, kind: "iban")
        for (verdict, independent) in zip(verdicts, schwifty) {
            #expect(verdict.accepted == independent, "\(verdict.iban): database \(verdict.accepted), schwifty \(independent)")
            if !verdict.accepted {
                #expect(["vendor_bank_account_iban_format", "vendor_bank_account_iban_check_digits"].contains(verdict.constraint),
                        "\(verdict.iban) refused by \(verdict.constraint ?? "no named constraint")")
            }
        }
        let examplesAccepted = verdicts.prefix(Self.validIBANs.count).allSatisfy { $0.accepted }
        #expect(examplesAccepted, "every registry example is accepted")
        let refused = verdicts.filter { !$0.accepted }.count
        #expect(refused >= Self.brokenIBANs.count - 5, "the broken ones are refused")
    }

    @Test func eachRefusalNamesWhatIsWrong() async throws {
        let database = try await TestServer.database()
        let refusals = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            try Fixture.customer("A", "C1", on: connection)
            let attempts: [(String, SQL)] = [
                ("customer_bank_account_iban_check_digits",
                 SQL("INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('A', 'C1', 'DE88370400440532013000')")),
                ("customer_bank_account_iban_format",
                 SQL("INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('A', 'C1', 'de89370400440532013000')")),
                ("customer_bank_account_iban_format",
                 SQL("INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('A', 'C1', 'DE8937040044053201300')")),
                ("customer_bank_account_bic_format",
                 SQL("INSERT INTO customer_bank_account (company_id, customer_account, iban, bic) VALUES ('A', 'C1', 'DE89370400440532013000', 'COBADEFF1')")),
                ("company_bank_account_iban_check_digits",
                 SQL("UPDATE company SET bank_account_iban = 'GB29NWBK60161331926818' WHERE id = 'A'")),
                ("company_bank_account_bic_format",
                 SQL("UPDATE company SET bank_account_bic = 'cobadeff' WHERE id = 'A'")),
                ("company_payment_format_valid",
                 SQL("UPDATE company SET payment_format = 'pain.001.001.10' WHERE id = 'A'")),
                ("company_bank_ledger_account_not_blank",
                 SQL("UPDATE company SET bank_ledger_account = '  ' WHERE id = 'A'")),
                ("customer_bank_account_customer_fk",
                 SQL("INSERT INTO customer_bank_account (company_id, customer_account, iban) VALUES ('A', 'NOPE', 'DE89370400440532013000')")),
            ]
            var seen: [(expected: String, got: String?)] = []
            for (expected, statement) in attempts {
                seen.append((expected, try connection.failure(statement)?.constraintName))
            }
            try connection.execute(
                "UPDATE company SET bank_account_iban = 'DE89370400440532013000', bank_account_bic = 'COBADEFF', bank_ledger_account = '1910' WHERE id = 'A'")
            let format = try connection.strings("SELECT payment_format FROM company WHERE id = 'A'")
            return (seen, format)
        }
        for (expected, got) in refusals.0 {
            #expect(got == expected, "expected \(expected), got \(got ?? "acceptance")")
        }
        #expect(refusals.1 == ["pain.001.001.09"], "the default format")
    }

    @Test func existingCompaniesGetThePaymentVoucherSequence() async throws {
        let file = "0019_bank_accounts.sql"
        let all = try SchemaMigrator(directory: TestServer.sqlDirectory)
        let before = SchemaMigrator(migrations: all.migrations.filter { $0.name < file })
        #expect(all.migrations.contains { $0.name == file })
        let database = try await TestServer.database(migrated: false)
        let (old, new) = try await database.withConnection { connection in
            try before.migrate(connection)
            try Fixture.company("OLD", on: connection)
            try all.migrate(connection)
            try Fixture.company("NEW", on: connection)
            return (try connection.strings("SELECT prefix || lpad(next_value::text, width, '0') FROM number_sequence WHERE company_id = 'OLD' AND name = 'payment_voucher'"),
                    try connection.strings("SELECT prefix || lpad(next_value::text, width, '0') FROM number_sequence WHERE company_id = 'NEW' AND name = 'payment_voucher'"))
        }
        #expect(old == ["PV-00000001"])
        #expect(new == ["PV-00000001"])
    }

    /// Payment run columns (sql/0020) refuse what the rules cannot use, by name.
    @Test func payJobColumnsAreRefusedByName() async throws {
        let database = try await TestServer.database()
        let refusals = try await database.withConnection { connection in
            try Fixture.company("A", on: connection)
            let attempts: [(String, SQL)] = [
                ("reimbursement_job_pays_job_ids_only_for_pay",
                 SQL("INSERT INTO reimbursement_job (company_id, pays_job_ids) VALUES ('A', '{1}')")),
                ("reimbursement_job_pays_job_ids_not_empty",
                 SQL("INSERT INTO reimbursement_job (company_id, operation, pays_job_ids) VALUES ('A', 'pay', '{}')")),
                ("reimbursement_job_pays_job_ids_no_null_elements",
                 SQL("INSERT INTO reimbursement_job (company_id, operation, pays_job_ids) VALUES ('A', 'pay', '{1,NULL}')")),
                ("reimbursement_job_operation_valid",
                 SQL("INSERT INTO reimbursement_job (company_id, operation) VALUES ('A', 'refund')")),
            ]
            var seen: [(expected: String, got: String?)] = []
            for (expected, statement) in attempts {
                seen.append((expected, try connection.failure(statement)?.constraintName))
            }
            let accepted = try connection.failure(
                "INSERT INTO reimbursement_job (company_id, operation, pays_job_ids) VALUES ('A', 'pay', '{1,2}')")
            return (seen, accepted)
        }
        for (expected, got) in refusals.0 {
            #expect(got == expected, "expected \(expected), got \(got ?? "acceptance")")
        }
        #expect(refusals.1 == nil, "a pay job with pays_job_ids was refused: \(String(describing: refusals.1))")
    }
}
