/// One Prometheus metric family as the daemon exposes it: its name, its `# HELP` text, its
/// type, its label names in the order they are written, and, for a histogram, its bucket
/// upper bounds in seconds.
///
/// Names follow Prometheus conventions (base units, `_total` for counters). Every label has a
/// bounded set of values: a fixed list (``fixedLabelValues``), or the companies of the
/// database. No label ever carries a customer or a job id.
public struct MetricFamily: Sendable, Hashable {
    /// The Prometheus type, as written in the `# TYPE` line.
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let labelNames: [String]
    /// Upper bounds of the histogram buckets in seconds, ascending (`+Inf` is implied); empty
    /// for other kinds.
    public let buckets: [Double]
    /// The values of each label that exist from start-up, one list per label in
    /// ``labelNames`` order: every combination is registered at 0 when the daemon starts, so
    /// `rate()` and `increase()` see the first event. Empty for families whose label values
    /// come from the database (one series per company, per scrape).
    public let fixedLabelValues: [[String]]

    public init(
        name: String, help: String, kind: Kind, labelNames: [String] = [], buckets: [Double] = [],
        fixedLabelValues: [[String]] = []
    ) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
        self.buckets = buckets
        self.fixedLabelValues = fixedLabelValues
    }

    /// Every combination of the fixed label values, as (name, value) pairs in label order;
    /// one empty combination for a family without labels.
    public var fixedLabelSets: [[(String, String)]] {
        guard !labelNames.isEmpty else { return [[]] }
        guard fixedLabelValues.count == labelNames.count else { return [] }
        var sets: [[(String, String)]] = [[]]
        for (name, values) in zip(labelNames, fixedLabelValues) {
            sets = sets.flatMap { prefix in values.map { prefix + [(name, $0)] } }
        }
        return sets
    }

    public static func == (lhs: MetricFamily, rhs: MetricFamily) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
