import Foundation
import Synchronization

/// Ctrl-C (SIGINT) or SIGTERM while `enqueue --wait` follows a job: the follower notices at its
/// next poll (the signal also cuts its sleep short) and says that the job goes on, instead of
/// the process dying silently.
enum FollowInterrupt {
    private static let received = Atomic<Int32>(0)

    /// The signal that arrived, 0 while none did.
    static var signal: Int32 { received.load(ordering: .relaxed) }

    static func install() {
        for number in [SIGINT, SIGTERM] {
            // An atomic store is async-signal-safe; nothing else happens in the handler.
            Foundation.signal(number) { caught in FollowInterrupt.received.store(caught, ordering: .relaxed) }
        }
    }
}
