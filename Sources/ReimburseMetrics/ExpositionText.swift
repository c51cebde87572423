import ReimburseDaemon

/// Writes metric families in the Prometheus text format (version 0.0.4) for the gauges that
/// come from the database at each scrape.
///
/// Label values are written byte for byte as the database holds them, escaped as the format
/// asks (backslash, double quote, line feed): two companies whose ids differ only in Unicode
/// normalisation stay two series, as they are two companies.
struct ExpositionText {
    private(set) var bytes: [UInt8] = []

    mutating func header(_ family: MetricFamily) {
        append("# HELP \(family.name) ")
        for byte in family.help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE \(family.name) \(family.kind.rawValue)\n")
    }

    mutating func sample(_ family: MetricFamily, _ labels: [(String, String)], _ value: String) {
        append(family.name)
        if !labels.isEmpty {
            append("{")
            for (index, (name, labelValue)) in labels.enumerated() {
                if index > 0 { append(",") }
                append(name)
                append("=\"")
                for byte in labelValue.utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): append("\\\\")
                    case UInt8(ascii: "\""): append("\\\"")
                    case UInt8(ascii: "\n"): append("\\n")
                    default: bytes.append(byte)
                    }
                }
                append("\"")
            }
            append("}")
        }
        append(" \(value)\n")
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// The queue families of one scrape: `reimburse_jobs` and
    /// `reimburse_oldest_runnable_job_age_seconds` per company (left out when the query gave no
    /// answer), and `reimburse_queue_query_up`.
    static func queueFamilies(_ rows: [QueueGaugeRow]?) -> [UInt8] {
        var text = ExpositionText()
        if let rows {
            let jobs = DaemonMetricFamilies.jobs
            text.header(jobs)
            for row in rows {
                for (state, count) in zip(DaemonMetricFamilies.jobStates, row.jobsByState) {
                    text.sample(jobs, [("company", row.company), ("state", state)], String(count))
                }
            }
            let age = DaemonMetricFamilies.oldestRunnableJobAge
            text.header(age)
            for row in rows {
                text.sample(age, [("company", row.company)], format3(row.oldestRunnableAgeSeconds))
            }
        }
        let up = DaemonMetricFamilies.queueQueryUp
        text.header(up)
        text.sample(up, [], rows == nil ? "0" : "1")
        return text.bytes
    }

    /// Seconds to the millisecond, in a form Prometheus parses ("12.345", "0").
    static func format3(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded())
        let whole = milliseconds / 1000
        let fraction = milliseconds % 1000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
