import Foundation

/// With `log_min_duration_statement = 0`, sums the server-side time per statement, so the
/// daemon's wall time splits into server work and everything else (client, round trips).
enum ServerLogProfile {
    static func summarize(logFile: String, from offset: Int, wallSeconds: Double) -> String {
        guard let handle = FileHandle(forReadingAtPath: logFile) else { return "  profile: cannot read \(logFile)" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(offset))
        let data = handle.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        var totals: [String: (count: Int, milliseconds: Double)] = [:]
        var all = 0.0
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "duration: ") else { continue }
            let rest = line[range.upperBound...]
            guard let space = rest.firstIndex(of: " "), let milliseconds = Double(rest[..<space]) else { continue }
            var statement = rest[space...].dropFirst(3).trimmingCharacters(in: .whitespaces)
            for prefix in ["statement: ", "execute <unnamed>: ", "parse <unnamed>: ", "bind <unnamed>: "] {
                if statement.hasPrefix(prefix) {
                    statement = String(prefix.prefix(while: { $0 != " " && $0 != ":" })) + " " + statement.dropFirst(prefix.count)
                }
            }
            let key = String(statement.prefix(70))
            totals[key, default: (0, 0)].count += 1
            totals[key, default: (0, 0)].milliseconds += milliseconds
            all += milliseconds
        }
        var lines = ["  profile (server-side statement time, log_min_duration_statement=0; the logging itself adds time):",
                     "    all statements: \(Format.seconds(all / 1000)) of \(Format.seconds(wallSeconds)) wall "
                        + "(\(Format.fixed(all / 10 / wallSeconds, 0))%)"]
        for (key, value) in totals.sorted(by: { $0.value.milliseconds > $1.value.milliseconds }).prefix(14) {
            lines.append("    \(Format.fixed(value.milliseconds / 1000, 2)) s  x\(value.count)  \(key)")
        }
        return lines.joined(separator: "\n")
    }
}
