import Foundation
import Postgres
import ReimburseEngine

/// The engine's seeded generator with the helpers the data generator uses.
struct SeededRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// 0..<bound; the modulo bias is irrelevant for a benchmark mix.
    mutating func below(_ bound: Int) -> Int { generator.below(bound) }

    /// lower...upper
    mutating func within(_ lower: Int, _ upper: Int) -> Int { lower + below(upper - lower + 1) }
}

/// Wall-clock measurement helpers and number formatting for the report.
enum Stopwatch {
    static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try body()
        return (value, seconds(ContinuousClock.now - start))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

enum Format {
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    static func fixed(_ value: Double, _ decimals: Int = 2) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static func seconds(_ value: Double) -> String { "\(fixed(value, 2)) s" }

    static func milliseconds(_ value: Double) -> String { "\(fixed(value, 1)) ms" }

    static func mebibytes(kilobytes: Int) -> String { "\(fixed(Double(kilobytes) / 1024, 1)) MiB" }
}

/// A money amount in cents as exact decimal text ("-12.34").
func centsText(_ cents: Int) -> String {
    let sign = cents < 0 ? "-" : ""
    let magnitude = cents.magnitude
    let fraction = magnitude % 100
    return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Report lines go to stdout as they are produced, so a long run can be followed.
func report(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// One failure worded for a person; the benchmark stops on it.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension PostgresConnection {
    /// A number from a query that returns one integer value (NULL reads as 0).
    func intValue(_ sql: String, _ parameters: any PostgresEncodable...) throws -> Int {
        let result = try execute(sql, parameters: parameters)
        guard let row = result.first else { return 0 }
        return try row.decode(Int?.self, at: 0) ?? 0
    }

    /// Text of the first column of the first row.
    func textValue(_ sql: String, _ parameters: any PostgresEncodable...) throws -> String {
        let result = try execute(sql, parameters: parameters)
        guard let row = result.first else { return "" }
        return try row.decode(String?.self, at: 0) ?? ""
    }
}
