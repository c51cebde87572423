import ArgumentParser
import Foundation

/// `reimburse enqueue`: the command-line form of `INSERT INTO reimbursement_job`.
struct EnqueueCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a reimbursement job and print its id.",
        discussion: """
            Inserts one row into reimbursement_job; the daemon (reimburse serve) runs it. \
            Options left out keep the database's defaults: every customer of the company, \
            mode post, debit handling skip, one reimbursement per customer and currency, \
            posting date = the day the job runs.

            With --dedupe-key, enqueueing again while the first job is unfinished adds nothing \
            and prints the id of the job already queued.

            Examples:
              reimburse enqueue --company USMF
              reimburse enqueue --company USMF --preview --wait     # prints 41 ...
              reimburse enqueue --company USMF --approve 41 --wait  # posts 41's proposals
              reimburse enqueue --company DEMF --customers C-0001,C-0002 \\
                  --posting-date 2024-03-31
              reimburse enqueue --company GBSI --groups RETAIL \\
                  --debit-handling include --no-summarize

            Reversal (a new voucher mirrors each reimbursement, its credits open again, its \
            vendor invoice is cancelled; paid invoices are left alone):
              reimburse enqueue --company USMF --reverse-job 42 --reason "run over every customer by mistake" --preview
              reimburse enqueue --company USMF --reverse 1017,1018 --reason "wrong vendor" --wait

            Payment run (pays open reimbursement vendor invoices due by the execution date and \
            writes ISO 20022 pain.001 documents; see reimburse payments):
              reimburse enqueue --company USMF --pay --posting-date 2026-12-10 --preview --wait
              reimburse enqueue --company USMF --pay --pays-jobs 41,42 --wait
            """
    )

    @OptionGroup var global: GlobalOptions

    /// Required, but optional to the parser: a misspelt flag is then reported by its name
    /// rather than as a missing `--company` (ArgumentParser reports a missing option first).
    @Option(help: ArgumentHelp("The company (legal entity) code (required).", valueName: "company"))
    var company: String?

    private var companyCode: String { company ?? "" }

    @Option(help: ArgumentHelp("Only these customer accounts (comma-separated).", valueName: "a,b,..."))
    var customers: String?

    @Option(help: ArgumentHelp("Only customers of these customer groups (comma-separated).", valueName: "g1,g2,..."))
    var groups: String?

    @Flag(help: "Compute without posting; results go to reimbursement_proposal and reimbursement_skip.")
    var preview = false

    @Option(help: ArgumentHelp("Post exactly what this succeeded preview job proposed.", valueName: "job"))
    var approve: Int64?

    @Option(help: ArgumentHelp("Customers with open debits: skip them (default) or include them.", valueName: "skip|include"))
    var debitHandling: DebitHandlingArgument?

    @Flag(help: "One reimbursement (vendor invoice, voucher) per ledger account instead of per currency.")
    var noSummarize = false

    @Option(help: ArgumentHelp("Posting date, YYYY-MM-DD (default: the day the job runs).", valueName: "date"))
    var postingDate: String?

    @Option(help: ArgumentHelp("Higher runs first within the company (default 0).", valueName: "n"))
    var priority: Int16?

    @Option(help: ArgumentHelp("Not before this time, e.g. 2024-04-01T06:00:00Z.", valueName: "time"))
    var runAt: String?

    @Option(help: ArgumentHelp("Idempotency key: no second unfinished job with the same key.", valueName: "key"))
    var dedupeKey: String?

    @Option(help: ArgumentHelp("Reverse every reimbursement this finished post job posted (needs --reason).", valueName: "job"))
    var reverseJob: Int64?

    @Option(help: ArgumentHelp("Reverse these reimbursements (ids, comma-separated; needs --reason).", valueName: "id,id,..."))
    var reverse: String?

    @Option(help: ArgumentHelp("Why the reimbursements are reversed (required with --reverse-job or --reverse).", valueName: "text"))
    var reason: String?

    @Flag(help: "A payment run: pay the open reimbursement vendor invoices due by --posting-date (the execution date).")
    var pay = false

    @Option(help: ArgumentHelp("With --pay: only invoices of these reimburse jobs (ids, comma-separated).", valueName: "job,job,..."))
    var paysJobs: String?

    @Flag(help: "Follow the job with a progress bar; exit 1 if it fails, 2 if it is cancelled.")
    var wait = false

    @Option(help: ArgumentHelp(
        "With --wait: stop following after this many seconds (exit 75; the job goes on).", valueName: "seconds"))
    var timeout: Int?

    func validate() throws {
        if preview, approve != nil {
            throw ValidationError("--approve posts a preview's proposals; it cannot be combined with --preview")
        }
        if let timeout, !(1...31_536_000).contains(timeout) {
            throw ValidationError("--timeout must be between 1 and 31536000 seconds")
        }
        if timeout != nil, !wait { throw ValidationError("--timeout only applies with --wait") }
        if company?.isEmpty == true { throw ValidationError("--company must not be empty") }
        try validateReversal()
        try validatePayment()
    }

    /// A payment run takes none of a reimbursement's or a reversal's options.
    func validatePayment() throws {
        guard pay else {
            if paysJobs != nil { throw ValidationError("--pays-jobs goes with --pay") }
            return
        }
        if approve != nil || customers != nil || groups != nil || debitHandling != nil || noSummarize
            || reverseJob != nil || reverse != nil {
            throw ValidationError(
                "--pay cannot be combined with --approve, --customers, --groups, --debit-handling, --no-summarize or "
                    + "a reversal (to pay a payment preview, use --approve with the preview's id alone)")
        }
        _ = try paidJobIDs()
    }

    /// The ids of `--pays-jobs`, checked.
    func paidJobIDs() throws -> [Int64]? {
        try Self.idList(paysJobs, usage: "--pays-jobs takes reimburse job ids separated by commas, e.g. --pays-jobs 41,42")
    }

    /// A reversal names one target and a reason, and takes none of a reimbursement's options.
    func validateReversal() throws {
        if reverseJob != nil, reverse != nil {
            throw ValidationError("--reverse-job and --reverse each name what to reverse; give only one of them")
        }
        guard reverseJob != nil || reverse != nil else {
            if reason != nil { throw ValidationError("--reason goes with --reverse-job or --reverse") }
            return
        }
        if reason.map({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) ?? true {
            throw ValidationError("a reversal needs --reason \"...\" (it is kept with every reversal for the auditor)")
        }
        if approve != nil || customers != nil || groups != nil || debitHandling != nil || noSummarize {
            throw ValidationError(
                "--reverse-job/--reverse cannot be combined with --approve, --customers, --groups, --debit-handling or "
                    + "--no-summarize (to post a reversal preview, use --approve with the preview's id alone)")
        }
        _ = try reversedIDs()
    }

    /// The ids of `--reverse`, checked.
    func reversedIDs() throws -> [Int64]? {
        try Self.idList(reverse, usage: "--reverse takes reimbursement ids separated by commas, e.g. --reverse 1017,1018")
    }

    /// A comma-separated list of ids, every part an id and at least one; `nil` when the option
    /// was not given. Throws `usage` otherwise.
    static func idList(_ text: String?, usage: String) throws -> [Int64]? {
        guard let text else { return nil }
        let parts = splitList(text) ?? []
        let ids = parts.compactMap { Int64($0) }
        guard !ids.isEmpty, ids.count == parts.count else { throw ValidationError(usage) }
        return ids
    }

    static func splitList(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// Everything a person can mistype is checked here, before connecting.
    func makeRequest() throws -> JobRequest {
        JobRequest(
            companyID: companyCode,
            customerAccounts: Self.splitList(customers),
            customerGroups: Self.splitList(groups),
            preview: preview,
            approvesJobID: approve,
            debitHandling: debitHandling,
            summarize: noSummarize ? false : nil,
            postingDate: try DateArgument.parse(postingDate, option: "--posting-date"),
            priority: priority,
            runAt: try TimestampArgument.parse(runAt, option: "--run-at"),
            dedupeKey: dedupeKey,
            reversesJobID: reverseJob,
            reversesReimbursementIDs: try reversedIDs(),
            reversalReason: reason,
            pay: pay,
            paysJobIDs: try paidJobIDs())
    }

    func run() throws {
        // Here rather than in validate(): ArgumentParser validates before it reports an
        // unknown flag, and a misspelt flag should be named as such.
        guard company != nil else { throw ValidationError("Missing expected argument '--company <company>'") }
        let request = try makeRequest()
        let connection = try global.connect(as: "enqueue")
        let outcome = try JobEnqueuer(connection: connection).enqueue(request)
        if outcome.alreadyQueued {
            Terminal.printNote(
                "job \(outcome.jobID) with dedupe key '\(dedupeKey ?? "")' is already queued; nothing added")
        }
        print(outcome.jobID)
        Terminal.flushStandardOutput()
        guard wait else { return }
        var follower = JobFollower(connection: connection, jobID: outcome.jobID, company: companyCode)
        follower.timeout = timeout.map { .seconds($0) }
        let summary: JobSummary
        switch try follower.follow() {
        case .finished(let finished):
            summary = finished
        case .interrupted(let progress):
            throw CommandFailure(Self.stillRuns(outcome.jobID, progress, why: "stopped following"),
                                 exitCode: .followInterrupted)
        case .timedOut(let progress):
            throw CommandFailure(Self.stillRuns(outcome.jobID, progress, why: "--timeout \(timeout ?? 0)s ran out"),
                                 exitCode: .stillRunning)
        }
        Terminal.printLine(summary.line)
        switch summary.state {
        case "succeeded":
            return
        case "cancelled":
            throw CommandFailure("job \(outcome.jobID) was cancelled", exitCode: .jobCancelled)
        default:
            throw CommandFailure(
                "job \(outcome.jobID) failed: \(summary.lastError ?? "no error message recorded")",
                exitCode: .jobFailed)
        }
    }

    /// One line: the job goes on in the daemon, and how to follow or cancel it.
    static func stillRuns(_ job: Int64, _ progress: JobProgress, why: String) -> String {
        let where_ = progress.customersTotal.map { " (\(progress.customersDone)/\($0) customers)" } ?? ""
        return "\(why): job \(job) is still \(progress.state)\(where_) and goes on in the daemon; "
            + "follow it with 'reimburse job show \(job)', stop it with 'reimburse cancel \(job)'"
    }
}
