import ArgumentParser

/// `reimburse generate-manual`: the man page, generated from the same argument parser as
/// `--help`, so the page never disagrees with the binary. Hidden: `deploy/install.sh` runs it
/// (as it runs `--generate-completion-script` for the shell completions).
struct GenerateManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual",
        abstract: "Print the reimburse(1) man page (roff), generated from the --help texts.",
        shouldDisplay: false
    )

    func run() throws {
        print(ManualPage.render())
    }
}

/// The roff text of reimburse(1).
enum ManualPage {
    static func render() -> String {
        var page = [
            ".TH REIMBURSE 1 \"\" \"reimburse \(ReimburseVersion.text)\" \"User Commands\"",
            ".SH NAME",
            "reimburse \\- " + escape(Reimburse.configuration.abstract),
            ".SH SYNOPSIS",
            ".B reimburse",
            ".I command",
            "[\\fIoptions\\fR]",
            ".SH DESCRIPTION",
        ]
        page += preformatted(Reimburse.helpMessage(columns: 80))
        page.append(".SH COMMANDS")
        for (path, command) in commands(Reimburse.configuration.subcommands, prefix: ["reimburse"]) {
            page.append(".SS \"\(escape(path.joined(separator: " ")))\"")
            page += preformatted(Reimburse.helpMessage(for: command, columns: 80))
        }
        page += [
            ".SH EXIT STATUS",
        ]
        page += preformatted(ExitCodes.helpTable)
        page += [
            ".SH FILES",
            ".TP", "/etc/reimburse/reimburse.env", "settings of the systemd unit (DATABASE_URL, REIMBURSE_WORKERS, ...)",
            ".TP", "/etc/reimburse/pgpass", "the daemon's libpq password file, passed as a systemd credential",
            ".SH SEE ALSO",
            "psql(1), systemctl(1), journalctl(1); share/reimburse/sql/README.md beside the binary's prefix",
        ]
        return page.joined(separator: "\n")
    }

    /// Every visible command with the words that run it, depth first (`reimburse job show`).
    static func commands(_ types: [any ParsableCommand.Type], prefix: [String]) -> [([String], any ParsableCommand.Type)] {
        types.filter { $0.configuration.shouldDisplay }.flatMap { type -> [([String], any ParsableCommand.Type)] in
            let path = prefix + [type._commandName]
            let children = type.configuration.subcommands
            return children.isEmpty ? [(path, type)] : commands(children, prefix: path)
        }
    }

    static func preformatted(_ text: String) -> [String] {
        [".nf"] + text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) } + [".fi"]
    }

    /// Backslashes and hyphens as roff wants them; a line starting with `.` or `'` would be a
    /// request, so it gets a zero-width `\&` in front.
    static func escape(_ text: String) -> String {
        var line = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if line.hasPrefix(".") || line.hasPrefix("'") { line = "\\&" + line }
        return line
    }
}
