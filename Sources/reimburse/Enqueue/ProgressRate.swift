/// Customers per second since the follower first saw the job running, and the time left at
/// that pace: "42% 1260/3000 customers, 310/s, about 6s left".
struct ProgressRate {
    private var start: (at: ContinuousClock.Instant, done: Int)?

    /// Records an observation; returns the rate in customers per second once at least half a
    /// second and one customer have passed.
    mutating func observe(done: Int, at now: ContinuousClock.Instant = .now) -> Double? {
        guard let start else {
            self.start = (now, done)
            return nil
        }
        let elapsed = now - start.at
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds >= 0.5, done > start.done else { return nil }
        return Double(done - start.done) / seconds
    }

    /// "42% 1260/3000 customers, 310/s, about 6s left"; without rate and estimate until known.
    /// `compact` is the short form for a narrow terminal: "42% 1260/3000, 310/s, ~6s left".
    static func text(done: Int, total: Int, rate: Double?, compact: Bool = false) -> String {
        let percent = total > 0 ? min(100, done * 100 / total) : 100
        var text = "\(percent)% \(done)/\(total)" + (compact ? "" : " customers")
        if let rate, rate > 0 {
            text += ", \(rate >= 10 ? String(Int(rate.rounded())) : String(Double(Int(rate * 10)) / 10))/s"
            let left = Int((Double(max(0, total - done)) / rate).rounded(.up))
            text += compact ? ", ~\(DurationText.short(left)) left" : ", about \(DurationText.short(left)) left"
        }
        return text
    }
}
