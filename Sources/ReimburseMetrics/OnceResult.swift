import Synchronization

/// A value set once, by whichever of several tasks comes first, and awaited by one caller.
final class OnceResult<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var isSet = false
        var waiter: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    /// Sets the value unless one was set already; true when this call set it.
    @discardableResult
    func set(_ value: Value) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>?? in
            guard !state.isSet else { return .none }
            state.isSet = true
            state.value = value
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: value)
        return true
    }

    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                guard state.isSet else {
                    state.waiter = continuation
                    return nil
                }
                return state.value
            }
            // `Value` may itself be optional: `isSet` decides, not the unwrapped value.
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
