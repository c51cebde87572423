import ArgumentParser

/// `reimburse report`: what was reimbursed and the state of the payables it created.
struct ReportCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the reimbursement report (one row per reimbursement).",
        discussion: """
            Reads the reimbursement_report view: customer, vendor, amounts, vendor invoice and \
            whether accounts payable has paid it (status open, partially_paid, paid). Amounts \
            are exact; CSV and JSON use the view's column names, JSON keeps amounts as strings.

            Names are data, not instructions. CSV: a cell starting with =, +, -, @, tab, \
            carriage return or line feed (or the full-width forms of =, +, -, @) gets a leading single quote \
            inside a quoted field, as OWASP advises against formula injection \
            ("'=HYPERLINK(...)"); the amount and id columns, which this program writes as \
            plain numbers (-10.00), are left as numbers. Table: control characters (C0, DEL, \
            C1, so ANSI escape sequences) and bidi overrides are shown escaped, as \\u{1B}. \
            JSON: exact (control and bidi characters as \\uXXXX escapes).

            Examples:
              reimburse report --company USMF
              reimburse report --job 42 --format csv > job-42.csv
              reimburse report --from 2024-03-01 --to 2024-03-31 --format json | jq .amount
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only this company.", valueName: "company"))
    var company: String?

    @Option(help: ArgumentHelp("Only reimbursements posted by this job.", valueName: "job"))
    var job: Int64?

    @Option(help: ArgumentHelp("Posting date on or after, YYYY-MM-DD.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Posting date on or before, YYYY-MM-DD.", valueName: "date"))
    var to: String?

    @Option(help: ArgumentHelp("table, csv or json (one object per line).", valueName: "format"))
    var format: ReportFormat = .table

    func run() throws {
        let query = ReportQuery(
            company: company, job: job,
            from: try DateArgument.parse(from, option: "--from"),
            to: try DateArgument.parse(to, option: "--to"))
        if let start = query.from, let end = query.to, end < start {
            throw CommandFailure.badData("--to \(end) is before --from \(start)")
        }
        let connection = try global.connect(as: "report")
        if let company { try KnownRows.requireCompany(company, on: connection) }
        if let job { try KnownRows.requireJob(job, on: connection) }
        var writer = RowWriter(format: format, columns: ReportQuery.columns)
        try query.forEachRow(on: connection) { writer.write($0) }
        writer.finish(noun: "reimbursements")
    }
}
