import ArgumentParser
import Foundation
import Postgres

/// The `reimburse` command line: one executable for operators (migrate, serve, status),
/// integrators (enqueue, report) and anyone who wants to see it work (demo).
@main
struct Reimburse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reimburse",
        abstract: "Turns customer credit balances into vendor payables (PostgreSQL).",
        discussion: """
            The database is found the way libpq finds it: --database-url (a URI or conninfo \
            string), else $DATABASE_URL, else libpq's defaults (PGHOST, PGDATABASE, PGUSER, \
            service file, password file). Under systemd, $CREDENTIALS_DIRECTORY/pgpassfile \
            becomes PGPASSFILE.

            Example:
              reimburse demo
              reimburse --help
              reimburse enqueue --help

            Errors are one line on stderr ("reimburse: error: ..."). Exit codes:
            \(ExitCodes.helpTable)
            """,
        version: ReimburseVersion.text,
        subcommands: [
            MigrateCommand.self,
            ServeCommand.self,
            EnqueueCommand.self,
            ReportCommand.self,
            StatusCommand.self,
            JobsCommand.self,
            JobCommand.self,
            CancelCommand.self,
            RetryCommand.self,
            GenerateManualCommand.self,
            VerifyCommand.self,
            PaymentsCommand.self,
            DemoCommand.self,
        ]
    )

    /// Replaces ArgumentParser's entry point so that every failure, whatever its type, ends as
    /// one line and one of ``ExitCodes``; ArgumentParser's own exit would print a Swift
    /// error's description and use its own codes.
    static func main() async {
        await runProgram(arguments: DatabaseWait.expandBareFlag(Array(CommandLine.arguments.dropFirst())))
    }

    /// Nonisolated, so the parsed command is created and run in one isolation domain (the
    /// main actor would have to send it to the nonisolated `run()`).
    nonisolated private static func runProgram(arguments: [String]) async -> Never {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitAfterArgumentError(error, arguments: arguments)
        }
        if command is Reimburse {
            // No subcommand: the usage, where a mistake's message goes, and a usage error.
            Terminal.writeError(helpMessage() + "\n")
            Foundation.exit(ExitCodes.usage.rawValue)
        }
        CredentialsPassfile.exportIfPresent()
        // One escaped line per server notice; serve and demo route them into their log instead.
        PostgresNotice.setHandler { notice in
            Terminal.printNote("database \(notice.severity): \(notice.message)")
        }
        let secrets = (command as? any DatabaseCommand)?.global.secrets ?? []
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exit as ExitCode {
            Terminal.flushStandardOutput()
            Foundation.exit(exit.rawValue)
        } catch {
            Terminal.flushStandardOutput()
            if !ErrorReport.isOurs(error) {
                // ArgumentParser's own: a help request or a ValidationError from run().
                exitAfterArgumentError(error, arguments: arguments)
            }
            let report = ErrorReport(error, secrets: secrets)
            Terminal.printError(report.message)
            Foundation.exit(report.exitCode.rawValue)
        }
        Terminal.flushStandardOutput()
        Foundation.exit(ExitCodes.success.rawValue)
    }

    /// Help and version requests go to stdout with exit 0; parse and validation errors are a
    /// usage error: one line naming the problem and where to read more. Anything else that
    /// got here is unexpected and reported as internal.
    nonisolated private static func exitAfterArgumentError(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            print(fullMessage(for: error))
            Terminal.flushStandardOutput()
            Foundation.exit(ExitCodes.success.rawValue)
        }
        guard code == .validationFailure else {
            let report = ErrorReport(error)
            Terminal.printError(report.message)
            Foundation.exit(report.exitCode.rawValue)
        }
        let subcommand = arguments.first { name in
            configuration.subcommands.contains { $0._commandName == name }
        }
        let helpCommand = ["reimburse", subcommand].compactMap { $0 }.joined(separator: " ") + " --help"
        let message = ErrorReport.oneLine(message(for: error))
        Terminal.printError("\(message) (see '\(helpCommand)')")
        Foundation.exit(ExitCodes.usage.rawValue)
    }
}
