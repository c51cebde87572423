import ArgumentParser
import Postgres

/// `reimburse status`: is the queue moving? One line per company.
struct StatusCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the job queue per company.",
        discussion: """
            One line per company you can see: jobs queued and runnable now, jobs scheduled \
            for later (a future run_at, or a retry backing off), the running job with its \
            progress, how long the oldest runnable job has waited, jobs failed in the \
            last 24 hours (their last_error is in job_overview), and why a job waits for \
            other sessions: customers whose rows another session holds are deferred and \
            tried again after the others; when only they are left the job goes back to \
            the queue with a backoff (up to 5 minutes), without using an attempt, until \
            they are free or the job is cancelled.

            --format json writes one object per company and line: company, queued, \
            scheduled, running_job, running_done, running_total, oldest_waiting_seconds, \
            failed_24h, waiting_job, waiting_reason (numbers typed, null when none).
            Example:
              reimburse status --format json | jq 'select(.failed_24h > 0)'
              reimburse status
              company  queued  scheduled  running          oldest waiting  failed 24h  why waiting
              -------  ------  ---------  ---------------  --------------  ----------  -----------
              DEMF          0          0  job 12 512/1000               -           0  -
              USMF          1          1  -                         4m03s           1  job 9 waiting for locked customers: 1 (C-7), next try in 8s
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp(
        "table, or json: one object per company with typed numbers (for monitoring scripts).", valueName: "format"))
    var format: ListFormat = .table

    func run() throws {
        let connection = try global.connect(as: "status")
        let rows = try QueueStatusRow.readAll(on: connection)
        if format == .json {
            for row in rows { print(row.json.object) }
            return
        }
        guard !rows.isEmpty else {
            Terminal.printLine("no companies (or none granted to you)")
            return
        }
        var table = TextTable(
            headers: ["company", "queued", "scheduled", "running", "oldest waiting", "failed 24h", "why waiting"],
            rightAligned: [false, true, true, false, true, true, false])
        for row in rows {
            table.append([
                row.company, String(row.queued), String(row.scheduled), row.runningText,
                row.oldestWaitingSeconds.map(DurationText.short) ?? "-", String(row.failedLastDay), row.waitingText,
            ])
        }
        print(table.render())
    }
}
