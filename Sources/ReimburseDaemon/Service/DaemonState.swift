import Foundation
import ReimburseStore
import Synchronization

/// What the daemon's threads share: whether to stop, which jobs are in hand (for the
/// heartbeat), and a signal that wakes idle workers.
final class DaemonState: Sendable {
    private struct Shared {
        var stopping = false
        var idleExit = false
        /// By job id: a worker may hold several jobs (a batch sharing one commit).
        var inHand: [Int64: HeldJob] = [:]
        var wakeGeneration = 0
        var jobsFinished = 0
        var connectionChecked = false
        var fatalError: DaemonConnectionError?
    }

    private let shared = Mutex(Shared())
    private let condition = NSCondition()
    /// Database conditions (read-only, connection limit, ...) reported once per retry interval.
    let conditions = DatabaseConditionLog()

    /// True once the listener checked that the connection is not a transaction pooler: workers
    /// claim nothing before.
    var isConnectionChecked: Bool { shared.withLock { $0.connectionChecked } }

    func connectionChecked() {
        shared.withLock { $0.connectionChecked = true }
        wakeAll()
    }

    /// The daemon cannot work through its connection: everything stops, and `run()` throws this.
    func stop(because error: DaemonConnectionError) {
        shared.withLock {
            $0.fatalError = error
            $0.stopping = true
        }
        wakeAll()
    }

    var fatalError: DaemonConnectionError? { shared.withLock { $0.fatalError } }

    /// True once a graceful stop was asked for (or the idle exit decided).
    var isStopping: Bool { shared.withLock { $0.stopping } }

    func requestStop() {
        shared.withLock { $0.stopping = true }
        wakeAll()
    }

    /// An `--exit-when-idle` daemon found nothing to do: every worker stops.
    func stopBecauseIdle() {
        shared.withLock {
            $0.stopping = true
            $0.idleExit = true
        }
        wakeAll()
    }

    func wakeAll() {
        condition.lock()
        shared.withLock { $0.wakeGeneration &+= 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// The current wake-up count. A worker reads it *before* it looks for work and hands it to
    /// ``waitForWork(after:timeout:)``, so a wake-up that arrives while it looks is not lost.
    var wakeGeneration: Int { shared.withLock { $0.wakeGeneration } }

    /// Sleeps until woken after `generation` was read, or `timeout` passes. Returns at once when
    /// a wake-up already came in since.
    func waitForWork(after generation: Int, timeout: Duration) {
        condition.lock()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: max(0.001, seconds))
        while shared.withLock({ $0.wakeGeneration == generation && !$0.stopping }) {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }

    /// A job a worker holds: its lease, the worker's database session (backend pid) and when
    /// it last finished a chunk.
    struct HeldJob: Sendable {
        var lease: JobLease
        var worker: Int
        var session: Int32
        var lastProgress: ContinuousClock.Instant
    }

    /// What the heartbeat renews: a lease, the session working on it, and whether the worker
    /// finished a chunk within the window (else only a busy session keeps the lease).
    struct LiveLease: Sendable {
        var lease: JobLease
        var session: Int32
        var progressedRecently: Bool
    }

    func took(_ lease: JobLease, worker: Int, session: Int32) {
        shared.withLock {
            $0.inHand[lease.jobID] = HeldJob(lease: lease, worker: worker, session: session, lastProgress: .now)
        }
    }

    /// Every job `worker` holds made progress (its chunk, or the batch transaction, got on).
    func progressed(worker: Int) {
        shared.withLock { state in
            let now = ContinuousClock.now
            for (id, held) in state.inHand where held.worker == worker { state.inHand[id]?.lastProgress = now }
        }
    }

    func released(jobID: Int64) {
        shared.withLock {
            if $0.inHand.removeValue(forKey: jobID) != nil { $0.jobsFinished += 1 }
        }
    }

    /// Every lease in hand, with whether its worker finished a chunk within `window`. A chunk
    /// may take longer than a lease: the heartbeat then asks the database whether the worker's
    /// session is still at work (``JobQueue/renewLeases(_:window:duration:on:)``); a hung
    /// worker's lease is not renewed, so it expires and another worker takes the job over.
    func liveLeases(window: Duration) -> [LiveLease] {
        let now = ContinuousClock.now
        return shared.withLock { state in
            state.inHand.values.map {
                LiveLease(lease: $0.lease, session: $0.session, progressedRecently: now - $0.lastProgress < window)
            }
        }
    }

    /// True while a worker of this process holds the job under this lease token: it ends the
    /// job itself, also when its session died under it (the rescue leaves such a job alone
    /// until its lease runs out).
    func holds(jobID: Int64, token: UUID) -> Bool {
        shared.withLock { $0.inHand[jobID]?.lease.token == token }
    }

    var busyWorkers: Int { shared.withLock { Set($0.inHand.values.map(\.worker)).count } }
    var jobsFinished: Int { shared.withLock { $0.jobsFinished } }
}
