import Foundation
import Postgres

/// `--wait`: polls the job until it finishes, the person presses Ctrl-C, or `--timeout` runs
/// out. Polling, not LISTEN: the daemon writes progress per chunk without notifying, and five
/// cheap primary-key reads a second cost nothing.
struct JobFollower {
    let connection: PostgresConnection
    let jobID: Int64
    let company: String
    var pollIntervalMilliseconds: UInt32 = 200
    /// Stop following after this long (nil: until the job finishes).
    var timeout: Duration?
    /// How long a runnable job may stay unclaimed before the follower says why that may be.
    var claimHintAfter: Duration = .seconds(5)

    enum Outcome {
        case finished(JobSummary)
        /// Ctrl-C or SIGTERM: the job goes on without us.
        case interrupted(JobProgress)
        case timedOut(JobProgress)
    }

    func follow() throws -> Outcome {
        FollowInterrupt.install()
        var display = ProgressDisplay(jobID: jobID)
        defer { display.finish() }
        let started = ContinuousClock.now
        var hinted = false
        while true {
            let progress = try JobProgress.read(job: jobID, company: company, on: connection)
            display.show(progress)
            if progress.isFinished { break }
            if FollowInterrupt.signal != 0 {
                display.finish()
                return .interrupted(progress)
            }
            let waited = ContinuousClock.now - started
            if let timeout, waited >= timeout {
                display.finish()
                return .timedOut(progress)
            }
            if !hinted, waited >= claimHintAfter, progress.isUnclaimed {
                hinted = true
                display.finish()
                Terminal.printNote(try ClaimHint.text(job: jobID, waited: waited, on: connection))
            }
            usleep(pollIntervalMilliseconds * 1000)
        }
        display.finish()
        return .finished(try JobSummary.read(job: jobID, company: company, on: connection))
    }
}
