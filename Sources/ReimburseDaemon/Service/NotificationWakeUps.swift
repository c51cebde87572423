/// Turns notifications on the queue channel into wake-ups of the workers, at most one per
/// ``spacing``. Any login may `NOTIFY reimbursement_job` with any payload: a notification is
/// only a hint to look at the queue (the queue itself says what is runnable), so a spoofed one
/// costs one look and a flood costs one look per spacing.
struct NotificationWakeUps {
    static let spacing: Duration = .milliseconds(20)

    private var pending = false
    private(set) var cancelAsked = false
    private var lastFired: ContinuousClock.Instant?

    mutating func arrived(_ payload: String) {
        pending = true
        if payload == "cancel_requested" { cancelAsked = true }
    }

    /// When the pending wake-up may fire (far away when none is pending).
    var dueAt: ContinuousClock.Instant {
        guard pending else { return .now + .seconds(3600) }
        guard let lastFired else { return .now }
        return lastFired + Self.spacing
    }

    var isDue: Bool { pending && dueAt <= .now }

    mutating func fired() {
        pending = false
        cancelAsked = false
        lastFired = .now
    }
}
