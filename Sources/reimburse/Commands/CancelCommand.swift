import ArgumentParser

/// `reimburse cancel N`: `UPDATE reimbursement_job SET cancel_requested = true`, with an answer.
struct CancelCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Ask for a queued or running job to be cancelled.",
        discussion: """
            Sets cancel_requested on the job. A queued job is cancelled by the daemon within \
            seconds, before it starts; a running one stops at its next chunk boundary, and what \
            it posted stays posted (counted in its result). Cancelling a cancelled job again \
            changes nothing (exit 0); a job that already succeeded or failed cannot be \
            cancelled (exit 65).
            Example:
              reimburse cancel 42
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The job id.", valueName: "job"))
    var id: Int64?

    func run() throws {
        guard let id else { throw ValidationError("Missing expected argument '<job>'") }
        let connection = try global.connect(as: "cancel")
        let queries = JobQueries(connection: connection)
        if let state = try queries.requestCancel(id) {
            let when = state == "running" ? "it stops at its next chunk boundary; what it posted stays posted"
                : "the daemon cancels it before it starts"
            Terminal.printLine("cancel requested for job \(id) (\(state)): \(when)")
            return
        }
        let job = try queries.job(id)
        if job.state == "cancelled" {
            Terminal.printLine("job \(id) is already cancelled")
            return
        }
        throw CommandFailure.badData("job \(id) already \(job.state); there is nothing to cancel")
    }
}
