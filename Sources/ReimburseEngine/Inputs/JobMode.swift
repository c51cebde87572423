/// Whether the plan is posted, only proposed, or is the posting of an earlier proposal.
public enum JobMode: String, Sendable, Hashable, CaseIterable {
    /// Plan and post. The default.
    case post
    /// Plan only; the store writes proposals and skips. The plan is identical to `post`, so
    /// that what a person approves is what would have been posted.
    case preview
    /// Post the proposals of an earlier preview job (`approves_job_id`), re-checking that the
    /// customer's open credits have not changed in between.
    case approve
}
