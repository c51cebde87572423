import Foundation
import ReimburseTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A separate process of the real `reimburse` binary (or any program), started with
/// `posix_spawn` and reaped with `waitpid(WNOHANG)` while the test task sleeps, so that no
/// cooperative thread ever blocks (2 cores: the pool has 2 threads). Output goes to a temporary
/// file: a pipe nobody reads can fill up and stall the child.
final class ChildProcess: Sendable {
    let pid: pid_t
    let arguments: [String]
    let outputPath: String
    private let exitStatus = Mutex<Int32?>(nil)

    private init(pid: pid_t, arguments: [String], outputPath: String) {
        self.pid = pid
        self.arguments = arguments
        self.outputPath = outputPath
    }

    /// The `reimburse` executable built with the tests: beside the running test executable
    /// (`.build*/<triple>/debug/`), else in the repository's usual build folders.
    static func reimburseBinary() throws -> String {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            // Inside an .xctest bundle on macOS: Contents/MacOS/<name>.
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("reimburse").path)
                folder = folder.deletingLastPathComponent()
            }
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent("reimburse").path)
        }
        for scratch in [".build-rel", ".build"] {
            candidates.append("\(TestServer.repositoryRoot)/\(scratch)/debug/reimburse")
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw TestSupportError(
            "the reimburse binary was not found (looked in: \(candidates.joined(separator: ", "))); "
                + "build it first: swift build --build-tests --scratch-path .build-rel")
    }

    /// Starts `reimburse <arguments>` with `DATABASE_URL` set to `databaseURL`.
    static func reimburse(
        _ arguments: [String], databaseURL: String, environment extra: [String: String] = [:]
    ) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["LOG_LEVEL"] = environment["REIMBURSE_TEST_LOG_LEVEL"] ?? "info"
        environment["NOTIFY_SOCKET"] = nil
        for (key, value) in extra { environment[key] = value }
        return try spawn(try reimburseBinary(), arguments, environment: environment)
    }

    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> ChildProcess {
        var template = Array("/tmp/reimburse-rel-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw TestSupportError("mkstemp: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let outputPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw TestSupportError("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return ChildProcess(pid: pid, arguments: arguments, outputPath: outputPath)
    }

    /// Sends a signal (SIGKILL, SIGTERM) unless the process was already reaped.
    func signal(_ signal: Int32) {
        guard exitStatus.withLock({ $0 }) == nil else { return }
        kill(pid, signal)
    }

    /// The raw wait status once the process has ended, without blocking.
    func poll() -> Int32? {
        exitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                status = raw
                return raw
            }
            return nil
        }
    }

    var isRunning: Bool { poll() == nil }

    /// Waits for the end; returns the exit code, or 128 + signal for a killed process. Throws
    /// (after killing it) when it takes longer than `timeout`.
    @discardableResult
    func wait(timeout: Duration = .seconds(120)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = poll() { return Self.code(status) }
            if ContinuousClock.now > deadline {
                signal(SIGKILL)
                while poll() == nil { try await Task.sleep(for: .milliseconds(20)) }
                throw TestSupportError(
                    "reimburse \(arguments.joined(separator: " ")) did not end within \(timeout); output:\n\(tail())")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    static func code(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    func tail(lines: Int = 30) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Kills what is still running and removes the output file.
    func cleanUp() {
        if poll() == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
            exitStatus.withLock { $0 = raw }
        }
        unlink(outputPath)
    }

    deinit {
        if exitStatus.withLock({ $0 }) == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
        unlink(outputPath)
    }
}

/// Runs `reimburse <arguments>` to its end and returns its exit code and output.
func runReimburse(
    _ arguments: [String], databaseURL: String, timeout: Duration = .seconds(120)
) async throws -> (code: Int32, output: String) {
    let process = try ChildProcess.reimburse(arguments, databaseURL: databaseURL)
    let code = try await process.wait(timeout: timeout)
    return (code, process.output)
}
