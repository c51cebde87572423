import Foundation

/// A private, throwaway PostgreSQL server: its own data folder and socket folder under a
/// temporary directory, reachable only by unix socket (`listen_addresses=''`), so it never
/// clashes with another server or port on the machine.
///
/// PostgreSQL refuses to run as root; when this process is root, the server runs as the
/// `postgres` system user, which owns the temporary directory.
public final class LocalPostgresCluster: Sendable {
    /// The folder holding `data/`, `socket/` and the server log.
    public let directory: String
    public let binDirectory: String
    /// The socket folder, which libpq takes as `host`.
    public let socketDirectory: String
    public let superuser = "postgres"
    let runAsUser: String?
    let dataDirectory: String
    public let logFile: String

    /// Settings for the server's command line.
    public struct Settings: Sendable {
        /// Extra `-c name=value` settings.
        public var parameters: [String: String]

        public init(parameters: [String: String] = [:]) {
            self.parameters = parameters
        }

        /// Fast and disposable: no fsync, for tests and the demo, whose data is thrown away.
        public static let disposable = Settings(parameters: [
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "128MB",
        ])
    }

    /// Creates a new cluster with `initdb` and starts it.
    public static func start(
        settings: Settings = .disposable, prefix: String = "reimburse-pg"
    ) throws -> LocalPostgresCluster {
        let binDirectory = try findBinDirectory()
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw LocalPostgresError("cannot create a temporary folder under \(base): \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: created)
        let runAsUser: String? = geteuid() == 0 ? "postgres" : nil
        let cluster = LocalPostgresCluster(directory: directory, binDirectory: binDirectory, runAsUser: runAsUser)
        do {
            try cluster.initialize()
            try cluster.startServer(settings: settings)
        } catch {
            cluster.remove()
            throw error
        }
        return cluster
    }

    init(directory: String, binDirectory: String, runAsUser: String?) {
        self.directory = directory
        self.binDirectory = binDirectory
        self.runAsUser = runAsUser
        self.dataDirectory = "\(directory)/data"
        self.socketDirectory = "\(directory)/socket"
        self.logFile = "\(directory)/server.log"
    }

    /// A libpq conninfo string for a database of this cluster.
    public func conninfo(database: String = "postgres", user: String? = nil) -> String {
        "host=\(socketDirectory) port=5432 dbname=\(database) user=\(user ?? superuser)"
    }

    /// A libpq URI for a database of this cluster, for people and environment variables.
    public func url(database: String = "postgres", user: String? = nil) -> String {
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketDirectory
        return "postgresql:///\(database)?host=\(host)&user=\(user ?? superuser)"
    }

    private func initialize() throws {
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if let runAsUser {
            try runChecked("/bin/chown", ["-R", runAsUser, directory])
            // The parent of the socket folder must be traversable by clients.
            chmod(directory, 0o711)
        }
        try runAsServerUser("initdb", [
            "-D", dataDirectory, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
    }

    func startServer(settings: Settings) throws {
        var options = "-c listen_addresses='' -k \(socketDirectory) -p 5432"
        for (name, value) in settings.parameters.sorted(by: { $0.key < $1.key }) {
            options += " -c \(name)=\(value)"
        }
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-l", logFile, "-o", options, "-w", "-t", "60", "start"])
    }

    /// Restarts the server; `mode` is pg_ctl's stop mode (`fast` or `immediate`).
    public func restart(mode: String = "fast") throws {
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "restart"])
    }

    /// Stops the server without removing its data.
    public func stopServer(mode: String = "fast") throws {
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"])
    }

    /// Starts a server stopped with ``stopServer(mode:)``, with the same settings as before.
    ///
    /// `pg_ctl restart`, not `start`: only restart reuses the options of the last run
    /// (`postmaster.opts`: the private socket folder, no TCP port); `start` without them would
    /// put the socket where no client of this cluster looks. On a stopped server restart says
    /// "trying to start server anyway" and starts it.
    public func startStoppedServer() throws {
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "restart"])
    }

    /// Stops the server and deletes everything it wrote.
    public func destroy() {
        _ = try? runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"])
        remove()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The last lines of the server log, to explain a failure.
    public func logTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func runAsServerUser(_ tool: String, _ arguments: [String]) throws {
        let executable = "\(binDirectory)/\(tool)"
        if let runAsUser {
            try runChecked("/usr/sbin/runuser", ["-u", runAsUser, "--", executable] + arguments)
        } else {
            try runChecked(executable, arguments)
        }
    }

    static func findBinDirectory() throws -> String {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["PG_BINDIR"], !configured.isEmpty {
            return configured
        }
        // Debian installs the server tools outside PATH, one folder per major version.
        let debianRoot = "/usr/lib/postgresql"
        if let versions = try? fileManager.contentsOfDirectory(atPath: debianRoot) {
            let newest = versions.compactMap(Int.init).sorted().last
            if let newest, fileManager.isExecutableFile(atPath: "\(debianRoot)/\(newest)/bin/initdb") {
                return "\(debianRoot)/\(newest)/bin"
            }
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if fileManager.isExecutableFile(atPath: "\(folder)/initdb"),
               fileManager.isExecutableFile(atPath: "\(folder)/pg_ctl") {
                return String(folder)
            }
        }
        throw LocalPostgresError(
            "PostgreSQL server tools (initdb, pg_ctl) not found: install them with "
                + "`apt-get install postgresql` or set PG_BINDIR")
    }
}

/// Why the local cluster could not be set up, in words a person can act on.
public struct LocalPostgresError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to completion and fails with its output when it exits non-zero.
///
/// Uses `posix_spawn` and `waitpid` directly: Foundation's `Process` on Linux can miss a child's
/// exit when several threads wait at once, and `pg_ctl start` leaves a server holding any pipe
/// it inherits, so output goes to a temporary file instead.
@discardableResult
func runChecked(_ executable: String, _ arguments: [String]) throws -> String {
    var template = Array("/tmp/reimburse-run-XXXXXX".utf8CString)
    let outputDescriptor = mkstemp(&template)
    guard outputDescriptor >= 0 else {
        throw LocalPostgresError("cannot create a temporary file: \(String(cString: strerror(errno)))")
    }
    let outputPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer {
        close(outputDescriptor)
        unlink(outputPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
    posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else {
        throw LocalPostgresError("cannot run \(executable): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else {
            throw LocalPostgresError("cannot wait for \(executable): \(String(cString: strerror(errno)))")
        }
    }
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    let exitCode = (status >> 8) & 0xff
    guard exited, exitCode == 0 else {
        let name = (executable as NSString).lastPathComponent
        let how = exited ? "exit \(exitCode)" : "signal \(status & 0x7f)"
        throw LocalPostgresError(
            "\(name) \(arguments.joined(separator: " ")) failed (\(how)): "
                + text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return text
}
