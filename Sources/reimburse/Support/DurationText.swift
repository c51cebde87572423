/// Ages as people read them at a glance: 45s, 3m12s, 2h05m, 3d04h.
enum DurationText {
    static func short(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m\(two(seconds % 60))s"
        case ..<86_400: return "\(seconds / 3600)h\(two(seconds / 60 % 60))m"
        default: return "\(seconds / 86_400)d\(two(seconds / 3600 % 24))h"
        }
    }
}
