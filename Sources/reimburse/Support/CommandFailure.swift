/// A failure worded for the person at the terminal, with the exit code that classifies it.
///
/// Commands throw this when they know what went wrong in the user's terms ("unknown company
/// 'X'"); everything else is classified by ``ErrorReport`` at the top.
struct CommandFailure: Error, CustomStringConvertible, Sendable {
    let message: String
    let exitCode: ExitCodes

    init(_ message: String, exitCode: ExitCodes) {
        self.message = message
        self.exitCode = exitCode
    }

    static func badData(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: .badData) }

    var description: String { message }
}
