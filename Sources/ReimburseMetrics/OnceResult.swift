import Synchronization

/// A value set once, by whichever of several tasks comes first, and awaited by any number of
/// callers (scrapes that arrive while one read is in flight share its answer).
final class OnceResult<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var isSet = false
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    /// Sets the value unless one was set already; true when this call set it.
    @discardableResult
    func set(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>]? in
            guard !state.isSet else { return nil }
            state.isSet = true
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                guard state.isSet else {
                    state.waiters.append(continuation)
                    return nil
                }
                return state.value
            }
            // `Value` may itself be optional: `isSet` decides, not the unwrapped value.
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
