import ArgumentParser

/// `reimburse jobs`: the newest jobs, one line each.
struct JobsCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List jobs, newest first.",
        discussion: """
            One line per job: id, company, operation, mode, state, attempts used of allowed, \
            progress (customers done/selected), when it was created and finished (UTC), and \
            what to read first: the error of a failed job, why a queued job waits. \
            --format json writes one object per line with every column (result included) \
            and typed numbers.
            Examples:
              reimburse jobs
              reimburse jobs --company USMF --state failed
              reimburse jobs --format json --limit 1000 | jq -r 'select(.state=="failed") | .id'
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only this company.", valueName: "company"))
    var company: String?

    @Option(help: ArgumentHelp("Only jobs in this state: queued, running, succeeded, failed or cancelled.",
                               valueName: "state"))
    var state: JobState?

    @Option(help: ArgumentHelp("table or json (one object per line).", valueName: "format"))
    var format: ListFormat = .table

    @Option(help: ArgumentHelp("At most this many jobs (default 50).", valueName: "n"))
    var limit = 50

    func validate() throws {
        guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000000") }
    }

    func run() throws {
        let connection = try global.connect(as: "jobs")
        if let company { try KnownRows.requireCompany(company, on: connection) }
        let rows = try JobQueries(connection: connection).list(company: company, state: state, limit: limit)
        switch format {
        case .json:
            for row in rows { print(row.json.object) }
        case .table:
            guard !rows.isEmpty else {
                Terminal.printNote("no jobs")
                return
            }
            var table = TextTable(
                headers: ["id", "company", "operation", "mode", "state", "attempts", "progress", "created (UTC)",
                          "finished (UTC)", "note"],
                rightAligned: [true, false, false, false, false, true, true, false, false, false])
            for row in rows {
                table.append([
                    String(row.id), row.company, row.operation, row.mode, row.state,
                    "\(row.attempts)/\(row.maxAttempts)", row.progressText, row.createdAt, row.finishedAt ?? "-",
                    Self.shortened(row.note ?? ""),
                ])
            }
            print(table.render())
        }
    }

    /// A note cut to fit a line; `job show` has it whole.
    static func shortened(_ text: String, to length: Int = 80) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
