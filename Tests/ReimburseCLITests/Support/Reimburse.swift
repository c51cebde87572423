import Foundation

/// Runs the `reimburse` binary the way a person or a script does.
enum Reimburse {
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        var merged = ChildProcess.baseEnvironment
        merged.merge(environment) { _, new in new }
        return try ChildProcess(try ReimburseBinary.require(), arguments, environment: merged)
    }

    static func run(
        _ arguments: String..., environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> ProcessOutcome {
        try await start(arguments, environment: environment).wait(timeout: timeout)
    }
}
