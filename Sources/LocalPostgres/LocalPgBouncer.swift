import Foundation
import Synchronization

/// PgBouncers of this process still running, stopped at exit however the process ends normally.
private let runningBouncers = Mutex<[LocalPgBouncer]>([])
private let exitHookInstalled = Atomic<Bool>(false)

/// A private PgBouncer in front of a ``LocalPostgresCluster``, for tests: its own folder,
/// reachable only on its own unix socket (no TCP port), run as the server's user (PgBouncer
/// refuses root), stopped with ``stop()``.
///
/// Users log in without a password (`auth_type = trust`); only the names in `users` exist.
public final class LocalPgBouncer: Sendable {
    public let directory: String
    /// The socket folder, which libpq takes as `host`.
    public let socketDirectory: String
    public let port: Int
    public let poolMode: String
    private let pidFile: String
    public let logFile: String

    /// Starts PgBouncer in `poolMode` (`session`, `transaction` or `statement`) for every
    /// database of `cluster`. `settings` replace or add `[pgbouncer]` settings (for example
    /// `server_round_robin = 1`, `default_pool_size = 2`, an empty `server_reset_query`).
    public static func start(
        in front: LocalPostgresCluster, poolMode: String, port: Int = 6432, users: [String] = ["postgres"],
        settings: [String: String] = [:]
    ) throws -> LocalPgBouncer {
        let executable = try findExecutable()
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/reimburse-pgbouncer-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw LocalPostgresError("cannot create a temporary folder under \(base): \(String(cString: strerror(errno)))")
        }
        let bouncer = LocalPgBouncer(directory: String(cString: created), port: port, poolMode: poolMode)
        do {
            try bouncer.writeConfiguration(backend: front, users: users, settings: settings)
            let asUser = geteuid() == 0 ? ["/usr/sbin/runuser", "-u", front.superuser, "--"] : []
            if !asUser.isEmpty {
                try runChecked("/bin/chown", ["-R", front.superuser, bouncer.directory])
                chmod(bouncer.directory, 0o711)
            }
            let command = asUser + [executable, "-d", "\(bouncer.directory)/pgbouncer.ini"]
            try runChecked(command[0], Array(command.dropFirst()))
            try bouncer.waitForSocket()
            runningBouncers.withLock { $0.append(bouncer) }
            if !exitHookInstalled.exchange(true, ordering: .relaxed) {
                atexit { runningBouncers.withLock { bouncers in bouncers.forEach { $0.stop() } } }
            }
        } catch {
            bouncer.stop()
            throw error
        }
        return bouncer
    }

    private init(directory: String, port: Int, poolMode: String) {
        self.directory = directory
        self.socketDirectory = directory
        self.port = port
        self.poolMode = poolMode
        self.pidFile = "\(directory)/pgbouncer.pid"
        self.logFile = "\(directory)/pgbouncer.log"
    }

    /// A libpq conninfo for a database behind this pooler.
    public func conninfo(database: String, user: String = "postgres") -> String {
        "host=\(socketDirectory) port=\(port) dbname=\(database) user=\(user)"
    }

    private func writeConfiguration(backend: LocalPostgresCluster, users: [String], settings: [String: String]) throws {
        let userList = users.map { "\"\($0)\" \"\"" }.joined(separator: "\n") + "\n"
        try userList.write(toFile: "\(directory)/userlist.txt", atomically: true, encoding: .utf8)
        let configuration = """
            [databases]
            * = host=\(backend.socketDirectory) port=5432

            [pgbouncer]
            unix_socket_dir = \(socketDirectory)
            listen_port = \(port)
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            pool_mode = \(poolMode)
            logfile = \(logFile)
            pidfile = \(pidFile)

            """
        var pooling: [(String, String)] = [
            ("max_client_conn", "200"), ("default_pool_size", "20"), ("server_reset_query", "DISCARD ALL"),
            ("ignore_startup_parameters", "extra_float_digits"),
        ].map { key, value in (key, settings[key] ?? value) }
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) where !pooling.contains(where: { $0.0 == key }) {
            pooling.append((key, value))
        }
        let configurationText = configuration + pooling.map { "\($0.0) = \($0.1)\n" }.joined()
        try configurationText.write(toFile: "\(directory)/pgbouncer.ini", atomically: true, encoding: .utf8)
    }

    private func waitForSocket() throws {
        let socket = "\(socketDirectory)/.s.PGSQL.\(port)"
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: socket) { return }
            usleep(25_000)
        }
        throw LocalPostgresError("pgbouncer did not open \(socket) within 5 s: \(logTail())")
    }

    /// Stops PgBouncer (its pid file names it) and removes its folder. Safe to call twice.
    public func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        {
            kill(pid, SIGTERM)
            for _ in 0..<200 where kill(pid, 0) == 0 { usleep(25_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The last lines of PgBouncer's log, to explain a failure.
    public func logTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static func findExecutable() throws -> String {
        for candidate in ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw LocalPostgresError("pgbouncer not found: install it with `apt-get install pgbouncer` (scripts/ensure-system-packages does)")
    }
}
