import ArgumentParser

/// `reimburse job show N`: everything about one job.
struct JobShowCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one job: parameters, state, attempts with their errors, result.",
        discussion: """
            Prints the job's columns, each attempt (worker, start, end, outcome, error), the \
            jobs that retry it or that it retries, and its result (counts and totals). \
            --format json writes one object with the same, attempts as an array.
            Examples:
              reimburse job show 42
              reimburse job show 42 --format json | jq .result
            """
    )

    @OptionGroup var global: GlobalOptions

    /// Optional to the parser so that a misspelt flag is named as such (see EnqueueCommand).
    @Argument(help: ArgumentHelp("The job id.", valueName: "job"))
    var id: Int64?

    @Option(help: ArgumentHelp("table or json.", valueName: "format"))
    var format: ListFormat = .table

    func run() throws {
        guard let id else { throw ValidationError("Missing expected argument '<job>'") }
        let connection = try global.connect(as: "job show")
        let queries = JobQueries(connection: connection)
        let job = try queries.job(id)
        let attempts = try queries.attempts(of: id)
        let retries = try queries.retries(of: id)
        switch format {
        case .json:
            var fields = job.json
            let attemptObjects = attempts.map { attempt in
                var item = JSONFields()
                item.add("attempt", attempt.number)
                item.add("worker", attempt.worker)
                item.add("started_at", attempt.startedAt)
                item.add("finished_at", attempt.finishedAt)
                item.add("outcome", attempt.outcome)
                item.add("error", attempt.error)
                return item.object
            }
            fields.addRaw("attempt_log", json: "[" + attemptObjects.joined(separator: ",") + "]")
            fields.addRaw("retried_by", json: "[" + retries.map { String($0.id) }.joined(separator: ",") + "]")
            print(fields.object)
        case .table:
            printText(job, attempts: attempts, retries: retries)
        }
    }

    private func printText(_ job: JobRow, attempts: [JobQueries.Attempt], retries: [(id: Int64, state: String)]) {
        var lines: [(String, String)] = [
            ("job", String(job.id)), ("company", job.company), ("operation", job.operation), ("mode", job.mode),
            ("state", job.state + (job.cancelRequested && ["queued", "running"].contains(job.state) ? " (cancel requested)" : "")),
            ("attempts", "\(job.attempts) of \(job.maxAttempts)"), ("progress", job.progressText),
            ("requested by", job.requestedBy), ("created (UTC)", job.createdAt), ("run at (UTC)", job.runAt),
            ("started (UTC)", job.startedAt ?? "-"), ("finished (UTC)", job.finishedAt ?? "-"),
        ]
        if let approves = job.approvesJobID { lines.append(("approves", "job \(approves)")) }
        if let retried = job.retriesJobID { lines.append(("retries", "job \(retried)")) }
        if !retries.isEmpty {
            lines.append(("retried by", retries.map { "job \($0.id) (\($0.state))" }.joined(separator: ", ")))
        }
        if let key = job.dedupeKey { lines.append(("dedupe key", key)) }
        if let reason = job.waitReason { lines.append(("waiting", reason)) }
        if let error = job.lastError { lines.append(("last error", error)) }
        if let result = job.resultJSON { lines.append(("result", result)) }
        let width = lines.map(\.0.count).max() ?? 0
        for (label, value) in lines {
            Terminal.printLine(label + ":" + String(repeating: " ", count: width - label.count + 1) + value)
        }
        if job.state == "failed" || job.state == "cancelled", retries.isEmpty {
            Terminal.printLine("to run it again with the same parameters: reimburse retry \(job.id)")
        }
        guard !attempts.isEmpty else { return }
        Terminal.printLine()
        var table = TextTable(
            headers: ["attempt", "worker", "started (UTC)", "finished (UTC)", "outcome", "error"],
            rightAligned: [true, false, false, false, false, false])
        for attempt in attempts {
            table.append([String(attempt.number), attempt.worker, attempt.startedAt, attempt.finishedAt ?? "-",
                          attempt.outcome ?? "running", attempt.error ?? ""])
        }
        print(table.render())
    }
}
