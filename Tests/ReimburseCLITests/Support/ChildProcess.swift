import Foundation
import ReimburseTestSupport

/// A child process with its stdout and stderr in temporary files.
///
/// posix_spawn and a polling `waitpid(WNOHANG)` instead of Foundation's `Process`, which on
/// Linux can miss a child's exit when several threads wait at once; polling from an async
/// function also keeps the cooperative pool free while the child runs.
final class ChildProcess: Sendable {
    let pid: pid_t
    let executable: String
    let arguments: [String]
    private let stdoutPath: String
    private let stderrPath: String

    /// The environment a child starts from: this process's, without the settings that would
    /// point the command line at another database or change its output.
    static var baseEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "LOG_LEVEL", "REIMBURSE_LOG_FORMAT", "REIMBURSE_WORKERS",
                     "REIMBURSE_CHUNK_SIZE", "REIMBURSE_SQL_DIR", "CREDENTIALS_DIRECTORY", "PGPASSFILE",
                     "PGHOST", "PGDATABASE", "PGUSER", "PGSERVICE", "JOURNAL_STREAM", "NOTIFY_SOCKET"] {
            environment[name] = nil
        }
        return environment
    }

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        self.executable = executable
        self.arguments = arguments
        stdoutPath = try Self.temporaryFile("stdout")
        stderrPath = try Self.temporaryFile("stderr")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    deinit {
        unlink(stdoutPath)
        unlink(stderrPath)
    }

    private static func temporaryFile(_ label: String) throws -> String {
        var template = Array("/tmp/reimburse-cli-test-\(label)-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw TestSupportError("mkstemp failed: \(String(cString: strerror(errno)))") }
        close(descriptor)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits until stdout (or stderr) contains `text`; false when the process ended or time
    /// ran out first.
    func waitForOutput(containing text: String, onStandardError: Bool = false, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        func found() -> Bool { (onStandardError ? standardError : standardOutput).contains(text) }
        while ContinuousClock.now < deadline {
            if found() { return true }
            if kill(pid, 0) != 0 { return found() }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits for the exit; a child still running at the deadline is killed and reported.
    func wait(timeout: Duration) async throws -> ProcessOutcome {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0, errno != EINTR {
                throw TestSupportError("waitpid failed: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestSupportError(
                    "reimburse \(arguments.joined(separator: " ")) did not finish within \(timeout); "
                        + "stdout: \(standardOutput.suffix(2000)) stderr: \(standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let signalled = (status & 0x7f) != 0
        return ProcessOutcome(
            exitCode: signalled ? nil : (status >> 8) & 0xff,
            signal: signalled ? status & 0x7f : nil,
            standardOutput: standardOutput,
            standardError: standardError)
    }
}
