import ArgumentParser
import ReimburseStore

/// `reimburse verify`: checks the ledger invariants of what was posted.
struct VerifyCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the ledger invariants of posted reimbursements.",
        discussion: """
            Runs SQL checks over one snapshot of the database (safe while daemons run): \
            balanced vouchers; every reimbursement equal to its vendor invoice, its \
            settlements and its debit transactions; no transaction settled beyond its amount; \
            settled credits of the reimbursement's customer, company and currency, each settled \
            once; gap-free number sequences; job results equal to what the jobs posted.

            Prints each violation with the rows involved, or "all N checks passed". Exit 0 \
            when every check holds, 1 otherwise. A reporting login sees (and checks) only its \
            companies.

            Example:
              reimburse verify --company USMF
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only this company.", valueName: "company"))
    var company: String?

    func run() throws {
        let connection = try global.connect(as: "verify")
        if let company { try KnownRows.requireCompany(company, on: connection) }
        let result = try LedgerVerifier(connection: connection).verify(companyID: company)
        let scope = company.map { " for company \($0)" } ?? ""
        let skipped = result.skipped.isEmpty ? "" : "; \(result.skipped.count) skipped ("
            + result.skipped.map { "\($0.check): \($0.reason)" }.joined(separator: "; ") + ")"
        guard !result.passed else {
            Terminal.printLine("all \(result.checks.count) checks passed\(scope)\(skipped)")
            return
        }
        for violation in result.violations {
            Terminal.printLine("\(violation.check) \(violation.companyID): \(violation.message)")
            if !violation.rows.isEmpty {
                Terminal.printLine("    rows: \(violation.rows.joined(separator: ", "))")
            }
        }
        let failed = result.checks.filter(result.failedChecks.contains)
        Terminal.printLine("\(result.violations.count) violation(s) in \(failed.count) of \(result.checks.count) checks\(scope): "
              + failed.joined(separator: ", ") + skipped)
        throw ExitCode(ExitCodes.jobFailed.rawValue)
    }
}
