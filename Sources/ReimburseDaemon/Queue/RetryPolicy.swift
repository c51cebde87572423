/// Exponential backoff with jitter for transient failures, so that many jobs failing at once
/// (the database restarting) do not all come back at the same instant.
struct RetryPolicy: Sendable {
    var base: Duration = .seconds(1)
    var cap: Duration = .seconds(300)

    func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let raw = base * (1 << exponent)
        let bounded = min(raw, cap)
        let jitter = Double.random(in: 0.75...1.25)
        return bounded * jitter
    }
}
