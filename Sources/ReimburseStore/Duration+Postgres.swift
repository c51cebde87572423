extension Duration {
    /// Whole milliseconds, rounded up so that a positive duration never becomes 0 (which
    /// PostgreSQL reads as "no timeout" for `lock_timeout` and `statement_timeout`).
    public var postgresMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let whole = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let rest = attoseconds % 1_000_000_000_000_000
        return rest > 0 ? whole + 1 : whole
    }

    /// Seconds as exact decimal text for `make_interval(secs => ...)`, keeping fractions: a
    /// lease of 1.5 s is not cut to 1 s. Shared by the store and the daemon's queue SQL.
    public var postgresSeconds: String {
        let milliseconds = postgresMilliseconds
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return sign + String(magnitude / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
