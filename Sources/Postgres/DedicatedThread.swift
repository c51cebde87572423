import Foundation
import Synchronization

/// A thread of our own that runs blocking work handed to it from async code.
///
/// libpq blocks its caller. The cooperative pool has only as many threads as cores (two here),
/// so a query run there stalls every other task; work sent here blocks only this thread while
/// the awaiting task is suspended.
public final class DedicatedThread: Sendable {
    private let queue = WorkQueue()
    public let name: String

    public init(name: String) {
        self.name = name
        let queue = self.queue
        let thread = Thread { queue.runUntilClosed() }
        thread.name = name
        thread.start()
    }

    deinit { queue.close() }

    /// Runs `work` on this thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = queue.submit {
                continuation.resume(with: Result { try work() })
            }
            if !accepted {
                continuation.resume(throwing: PostgresError(kind: .client, message: "thread \(name) has stopped"))
            }
        }
    }

    /// Stops the thread once the work already submitted has run.
    public func shutdown() { queue.close() }
}

/// A closed/open FIFO of closures that one thread drains.
final class WorkQueue: Sendable {
    private struct State {
        var items: [@Sendable () -> Void] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)

    func submit(_ item: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.items.append(item)
            return true
        }
        if accepted { signal.signal() }
        return accepted
    }

    func close() {
        state.withLock { $0.closed = true }
        signal.signal()
    }

    func runUntilClosed() {
        while true {
            signal.wait()
            while true {
                let next = state.withLock { state -> (@Sendable () -> Void)? in
                    state.items.isEmpty ? nil : state.items.removeFirst()
                }
                guard let next else { break }
                next()
            }
            if state.withLock({ $0.closed && $0.items.isEmpty }) { return }
        }
    }
}
