import ArgumentParser
import Foundation
import Postgres

/// `--wait-for-database[=SECONDS]`: how long a command waits for a database that cannot be
/// reached yet (starting after a reboot, restarting, a network not up), instead of exiting 69
/// at once. A server that answers and refuses (a wrong password, an unknown database) is not
/// waited for: that does not pass by itself (exit 78).
struct DatabaseWait: ExpressibleByArgument, Sendable, Equatable {
    /// nil: no limit.
    var limit: Duration?

    static let unlimited = DatabaseWait(limit: nil)

    init(limit: Duration?) { self.limit = limit }

    init?(argument: String) {
        if argument == "forever" {
            self.init(limit: nil)
        } else if let seconds = Int(argument), (1...86_400 * 7).contains(seconds) {
            self.init(limit: .seconds(seconds))
        } else {
            return nil
        }
    }

    /// `--wait-for-database` without a value means no limit: ArgumentParser needs a value, so
    /// the bare flag is rewritten to `--wait-for-database=forever` before parsing.
    static func expandBareFlag(_ arguments: [String]) -> [String] {
        arguments.map { $0 == "--wait-for-database" ? "--wait-for-database=forever" : $0 }
    }

    /// Connects, retrying an unreachable database every 1 s at first, then up to every 5 s, and
    /// saying so on stderr about every 10 s; throws the last error when the limit passes.
    func connect(_ global: GlobalOptions, as subcommand: String) throws -> PostgresConnection {
        let started = ContinuousClock.now
        var delay: Duration = .seconds(1)
        var lastNote: ContinuousClock.Instant?
        while true {
            do {
                return try global.connect(as: subcommand)
            } catch let error as PostgresError where ErrorReport(error).exitCode == .databaseUnavailable {
                let now = ContinuousClock.now
                let waited = now - started
                if let limit, waited + delay > limit { throw error }
                if lastNote.map({ now - $0 >= .seconds(10) }) ?? true {
                    lastNote = now
                    let report = ErrorReport(error, secrets: global.secrets)
                    let bound = limit.map { " of at most \(DurationText.short(Int($0.components.seconds)))" } ?? ""
                    Terminal.printNote(
                        "waiting for the database (\(DurationText.short(Int(waited.components.seconds)))\(bound)): \(report.message)")
                }
                Thread.sleep(forTimeInterval: Double(delay.components.seconds))
                delay = min(delay + .seconds(1), .seconds(5))
            }
        }
    }
}
