import ArgumentParser

/// `reimbursement_job.state`, as `--state` takes it.
enum JobState: String, CaseIterable, ExpressibleByArgument, Sendable {
    case queued, running, succeeded, failed, cancelled
}
