import Foundation
import ReimburseTestSupport
import Testing

/// Issue 19 item 9: deploy/install.sh (staged with --destdir) installs a stripped binary, the
/// man page and shell completions generated from the argument parser, and the unit where
/// packages put units; an old copy it put in /etc/systemd/system is removed.
@Suite("deploy/install.sh")
struct InstallTests {
    @Test func installsManPageCompletionsStrippedBinaryAndTheUnitUnderLib() async throws {
        let stage = FileManager.default.temporaryDirectory.appendingPathComponent("reimburse-install-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let oldUnit = "\(stage)/etc/systemd/system/reimburse.service"
        try FileManager.default.createDirectory(atPath: "\(stage)/etc/systemd/system", withIntermediateDirectories: true)
        try "# Reimburse\n#\n# Installed by deploy/install.sh to /etc/systemd/system/reimburse.service. Local changes belong\n"
            .write(toFile: oldUnit, atomically: true, encoding: .utf8)
        let binary = try ReimburseBinary.require()
        let install = try ChildProcess(
            "/bin/bash", ["\(TestServer.repositoryRoot)/deploy/install.sh", "--destdir", stage, "--binary", binary],
            environment: ChildProcess.baseEnvironment)
        let outcome = try await install.wait(timeout: .seconds(120))
        #expect(outcome.exitCode == 0, "\(outcome)")

        let files = FileManager.default
        #expect(files.fileExists(atPath: "\(stage)/usr/local/lib/systemd/system/reimburse.service"))
        #expect(!files.fileExists(atPath: oldUnit), "the old copy in /etc would hide the new unit")
        let manual = try String(contentsOfFile: "\(stage)/usr/local/share/man/man1/reimburse.1", encoding: .utf8)
        #expect(manual.hasPrefix(".TH REIMBURSE 1"))
        for command in ["migrate", "serve", "enqueue", "jobs", "job show", "cancel", "retry", "status"] {
            #expect(manual.contains(".SS \"reimburse \(command)\""), "\(command)")
        }
        #expect(manual.contains("\\-\\-wait\\-for\\-database"))
        let completions = [
            "share/bash-completion/completions/reimburse", "share/zsh/site-functions/_reimburse",
            "share/fish/vendor_completions.d/reimburse.fish",
        ]
        for path in completions {
            let text = try String(contentsOfFile: "\(stage)/usr/local/\(path)", encoding: .utf8)
            #expect(text.contains("retry") && text.contains("database-url"), "\(path)")
        }
        let sections = try await ChildProcess("/usr/bin/readelf", ["-S", "\(stage)/usr/local/bin/reimburse"],
                                        environment: ChildProcess.baseEnvironment).wait(timeout: .seconds(30))
        #expect(sections.exitCode == 0, "\(sections)")
        #expect(!sections.standardOutput.contains(".symtab"), "stripped")
        let version = try await ChildProcess("\(stage)/usr/local/bin/reimburse", ["--version"],
                                       environment: ChildProcess.baseEnvironment).wait(timeout: .seconds(30))
        #expect(version.exitCode == 0 && !version.standardOutput.isEmpty, "\(version)")
    }
}
