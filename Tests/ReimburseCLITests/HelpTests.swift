import Testing

/// Every command explains itself with an example, and the root lists the exit codes.
@Suite("reimburse --help")
struct HelpTests {
    @Test(arguments: ["migrate", "serve", "enqueue", "report", "status", "demo", "verify"])
    func eachCommandHasHelpWithAnExample(_ command: String) async throws {
        let outcome = try await Reimburse.run(command, "--help")
        #expect(outcome.exitCode == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("reimburse \(command)"), "\(outcome)")
        #expect(outcome.standardOutput.contains("Example"), "\(outcome)")
        #expect(outcome.standardOutput.contains("--database-url"), "\(outcome)")
    }

    @Test func rootHelpListsTheExitCodes() async throws {
        let outcome = try await Reimburse.run("--help")
        #expect(outcome.exitCode == 0, "\(outcome)")
        for code in ["  0  ", "  1  ", "  2  ", " 64  ", " 65  ", " 69  ", " 70  ", " 78  "] {
            #expect(outcome.standardOutput.contains(code), "missing exit code \(code)")
        }
    }
}
