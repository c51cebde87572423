import Foundation

/// The daemon under test, as a separate process, so its peak memory and CPU time are its own.
///
/// It is `reimburse serve` from the same build folder when that command exists; until then it
/// is this executable's hidden `daemon` subcommand, which runs the same `ReimbursementDaemon`
/// in-process (see DaemonChild.swift). Either way the benchmark talks to it only through the
/// database, as production clients do.
struct DaemonLauncher {
    enum Kind: CustomStringConvertible {
        case serve(String)
        case benchChild(String)

        var description: String {
            switch self {
            case .serve(let path): "`\(path) serve` (separate process)"
            case .benchChild(let path):
                "`\(path) daemon` (separate process running ReimbursementDaemon in-process; `reimburse serve` not available)"
            }
        }
    }

    let kind: Kind
    let logFolder: String
    /// The login the daemon connects as (replaces the conninfo's `user`); nil keeps it.
    var login: String? = nil

    static func find(logFolder: String, login: String? = nil) -> DaemonLauncher {
        let me = selfPath()
        let folder = (me as NSString).deletingLastPathComponent
        let reimburse = "\(folder)/reimburse"
        if ProcessInfo.processInfo.environment["REIMBURSE_BENCH_IN_PROCESS"] != "1",
           FileManager.default.isExecutableFile(atPath: reimburse),
           let status = try? ChildProcess.spawn(reimburse, ["serve", "--help"], output: "/dev/null").wait(),
           status.exitCode == 0
        {
            return DaemonLauncher(kind: .serve(reimburse), logFolder: logFolder, login: login)
        }
        return DaemonLauncher(kind: .benchChild(me), logFolder: logFolder, login: login)
    }

    static func selfPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts the daemon; `logName` names its log file under the log folder.
    func start(
        conninfo: String, workers: Int, exitWhenIdle: Bool, chunkSize: Int?, logName: String
    ) throws -> ChildProcess {
        // libpq keeps the last value of a keyword given twice.
        let conninfo = login.map { "\(conninfo) user=\($0)" } ?? conninfo
        var arguments: [String]
        let executable: String
        switch kind {
        case .serve(let path):
            executable = path
            arguments = ["serve", "--database-url", conninfo, "--workers", String(workers)]
            if exitWhenIdle { arguments.append("--exit-when-idle") }
            if let chunkSize, Self.serveAcceptsChunkSize(path) { arguments += ["--chunk-size", String(chunkSize)] }
        case .benchChild(let path):
            executable = path
            arguments = ["daemon", "--database-url", conninfo, "--workers", String(workers)]
            if exitWhenIdle { arguments.append("--exit-when-idle") }
            if let chunkSize { arguments += ["--chunk-size", String(chunkSize)] }
        }
        var environment: [String: String] = [:]
        if let chunkSize { environment["REIMBURSE_CHUNK_SIZE"] = String(chunkSize) }
        return try ChildProcess.spawn(
            executable, arguments, output: "\(logFolder)/\(logName).log", environment: environment)
    }

    private static func serveAcceptsChunkSize(_ path: String) -> Bool {
        let file = "/tmp/reimburse-bench-serve-help-\(getpid()).txt"
        defer { unlink(file) }
        _ = try? ChildProcess.spawn(path, ["serve", "--help"], output: file).wait()
        return ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("--chunk-size")
    }
}

/// A child process started with posix_spawn and reaped with wait4, which also reports its
/// peak resident set (ru_maxrss) and CPU time.
struct ChildProcess {
    let pid: pid_t
    let started: ContinuousClock.Instant

    struct Exit {
        var exitCode: Int32
        var signaled: Bool
        var seconds: Double
        /// Peak resident set size in KiB (Linux reports ru_maxrss in kilobytes).
        var maxRSSKilobytes: Int
        var userSeconds: Double
        var systemSeconds: Double
    }

    static func spawn(
        _ executable: String, _ arguments: [String], output: String, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw BenchmarkError("cannot run \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid, started: started)
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// VmHWM of the live process in KiB, or nil once it is gone.
    func peakResidentKilobytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// Waits for the exit, polling VmHWM every 20 ms: wait4's ru_maxrss is no use here, because
    /// a posix_spawn child shares (and is charged) the parent's memory until it execs, so it
    /// reports the benchmark's own size, not the daemon's.
    func wait() throws -> Exit {
        var status: Int32 = 0
        var usage = rusage()
        var peak = 0
        while true {
            if let current = peakResidentKilobytes() { peak = max(peak, current) }
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw BenchmarkError("wait4: \(String(cString: strerror(errno)))") }
            usleep(20_000)
        }
        let ended = ContinuousClock.now
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return Exit(
            exitCode: (status >> 8) & 0xff, signaled: (status & 0x7f) != 0,
            seconds: Stopwatch.seconds(ended - started), maxRSSKilobytes: peak,
            userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime))
    }
}
