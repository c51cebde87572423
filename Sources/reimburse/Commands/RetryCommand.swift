import ArgumentParser

/// `reimburse retry N`: the failed or cancelled job again, as a new job linked to it.
struct RetryCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Enqueue a failed or cancelled job again with the same parameters; print the new id.",
        discussion: """
            Inserts a new job with the parameters of job N (company, operation, mode, \
            selection, debit handling, summarize, posting date, approved preview, priority, \
            max attempts, and any column later migrations let an enqueuer set) and \
            retries_job_id = N, to run now. Its dedupe key is not copied. What the failed job \
            posted stays posted; the new job finds those credits settled and posts only the \
            rest. When an unfinished retry of N exists already, nothing is added and its id is \
            printed. A job that is queued, running or succeeded is not retried (exit 65).
            Example:
              reimburse retry 42          # prints 57
              reimburse job show 57
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The failed or cancelled job.", valueName: "job"))
    var id: Int64?

    func run() throws {
        guard let id else { throw ValidationError("Missing expected argument '<job>'") }
        let connection = try global.connect(as: "retry")
        let queries = JobQueries(connection: connection)
        let job = try queries.job(id)
        guard job.state == "failed" || job.state == "cancelled" else {
            throw CommandFailure.badData("job \(id) is \(job.state); only a failed or cancelled job is retried")
        }
        if let pending = try queries.retries(of: id).first(where: { $0.state == "queued" || $0.state == "running" }) {
            Terminal.printNote("job \(pending.id) already retries job \(id) (\(pending.state)); nothing added")
            print(pending.id)
            return
        }
        let newID = try queries.insertRetry(of: id)
        Terminal.printNote("job \(newID) retries job \(id) with the same parameters")
        print(newID)
    }
}
