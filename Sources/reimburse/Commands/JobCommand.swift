import ArgumentParser

/// `reimburse job ...`: commands about one job.
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Look at one job (reimburse job show N).",
        discussion: """
            Example:
              reimburse job show 42
            """,
        subcommands: [JobShowCommand.self]
    )
}
