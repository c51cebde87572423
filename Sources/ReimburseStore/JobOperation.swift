import Postgres
import ReimburseEngine

/// What one kind of job (`reimbursement_job.operation`) contributes to the shared runner.
///
/// ``JobRunner`` owns everything every operation needs the same way: choosing the next keys
/// of a scan in key order, locking exactly those (what another session holds is deferred and
/// tried again after the rest), the checkpoint, the lease-fenced single update of the job row
/// per chunk, cancel, waiting for locked units, and the job's end. An operation says which
/// units a job selects and how they are keyed (customers by account for `reimburse`,
/// reimbursements by id for `reverse`, vendor invoices for `pay` later), how a chunk of them
/// is locked and loaded, how it is planned (by the operation's own planner in the engine)
/// and posted (by its own poster), and how its tally reads and writes `result`.
///
/// An operation is created per run, inside the run's read-only preparation transaction, and
/// is used on the runner's connection only.
protocol JobOperation {
    /// The key of one unit; keys sort the way the scan orders them.
    associatedtype Key: Hashable
    /// One locked chunk.
    associatedtype Chunk: LockedChunk where Chunk.Key == Key
    /// Counters and totals of the job, saved to `result` with each chunk.
    associatedtype Tally

    /// The key as stored in `checkpoint_customer` / `deferred_customers` (text columns that
    /// hold the scan's keys whatever the unit is), and back.
    func storedKey(_ key: Key) -> Code
    func key(stored: Code) throws -> Key

    /// How many units the job selects in all, for progress.
    func countSelected(on connection: PostgresConnection) throws -> Int
    /// The next keys of the scan after `after` (nil: from the start), at most `limit`, in key
    /// order, without locking anything.
    func nextKeys(after: Key?, limit: Int, on connection: PostgresConnection) throws -> [Key]
    /// Locks exactly `keys` without waiting for another session, and loads what planning
    /// needs of those it could lock whole.
    func lock(_ keys: [Key], on connection: PostgresConnection) throws -> Chunk
    /// Plans, posts and counts a locked chunk inside the chunk's transaction; returns the
    /// tally after it.
    func process(_ chunk: Chunk, tally: Tally, stagedWrites: Bool, on connection: PostgresConnection) throws -> Tally

    /// The tally of the chunks already done (`result` as the last chunk saved it).
    func storedTally(_ result: String?) throws -> Tally
    /// The job's `result` text for `tally`.
    func resultJSON(_ tally: Tally) -> String
    /// The tally as the runner's outcome reports it (``JobRunOutcome`` carries a ``JobTally``).
    func outcomeTally(_ tally: Tally) -> JobTally
    /// `wait_reason` of a job waiting for units another session holds.
    func waitReason(locked: [Key]) -> String
    /// What the job does once its last chunk is done (or it is cancelled), in the transaction
    /// that ends it; returns the final tally. Nothing for most operations; a pay job writes its
    /// payment documents.
    func finish(tally: Tally, on connection: PostgresConnection) throws -> Tally
}

extension JobOperation {
    func finish(tally: Tally, on connection: PostgresConnection) throws -> Tally { tally }
}

/// A chunk as the runner sees it: how many units it planned, and which chosen keys it could
/// not take.
protocol LockedChunk {
    associatedtype Key
    /// Units locked, planned and posted (or judged) by this chunk.
    var unitCount: Int { get }
    /// Chosen keys another session holds, in key order: tried again later in the same job.
    var deferred: [Key] { get }
    /// Chosen keys no longer found (deleted, renamed, deselected).
    var gone: [Key] { get }
}
