import Foundation
import Postgres

/// `--wait`: polls the job until it finishes. Polling, not LISTEN: the daemon writes progress
/// per chunk without notifying, and five cheap primary-key reads a second cost nothing.
struct JobFollower {
    let connection: PostgresConnection
    let jobID: Int64
    let company: String
    var pollIntervalMilliseconds: UInt32 = 200

    func follow() throws -> JobSummary {
        var display = ProgressDisplay(jobID: jobID)
        defer { display.finish() }
        while true {
            let progress = try JobProgress.read(job: jobID, company: company, on: connection)
            display.show(progress)
            if progress.isFinished { break }
            usleep(pollIntervalMilliseconds * 1000)
        }
        display.finish()
        return try JobSummary.read(job: jobID, company: company, on: connection)
    }
}
