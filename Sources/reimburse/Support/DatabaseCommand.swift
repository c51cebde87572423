/// A subcommand that talks to a database; the entry point reads its options to hide the
/// password in error messages.
protocol DatabaseCommand {
    var global: GlobalOptions { get }
}
