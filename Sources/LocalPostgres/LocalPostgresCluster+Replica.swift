import Foundation

extension LocalPostgresCluster {
    /// A hot standby of this cluster: a copy made with `pg_basebackup -R` (which writes the
    /// standby signal and `primary_conninfo`) by the server's user, started with `pg_ctl` on a
    /// socket folder of its own, streaming from this one. Stop it with ``destroy()``.
    public func startReplica(prefix: String = "reimburse-replica") throws -> LocalPostgresCluster {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw LocalPostgresError("cannot create a temporary folder under \(base): \(String(cString: strerror(errno)))")
        }
        let replica = LocalPostgresCluster(
            directory: String(cString: created), binDirectory: binDirectory, runAsUser: runAsUser)
        do {
            try FileManager.default.createDirectory(atPath: replica.socketDirectory, withIntermediateDirectories: true)
            if let runAsUser {
                try runChecked("/bin/chown", ["-R", runAsUser, replica.directory])
                chmod(replica.directory, 0o711)
            }
            try runAsServerUser("pg_basebackup", [
                "-D", replica.dataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync",
                "-h", socketDirectory, "-p", "5432", "-U", superuser,
            ])
            try replica.startServer(settings: Settings(parameters: ["hot_standby": "on", "max_connections": "200"]))
        } catch {
            replica.destroy()
            throw error
        }
        return replica
    }

    /// Ends recovery: the standby becomes a primary that takes writes.
    public func promote() throws {
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-w", "-t", "60", "promote"])
    }

    /// Waits until the standby has replayed everything the primary had written when asked.
    public func waitForReplay(from primary: LocalPostgresCluster, timeout: Duration = .seconds(30)) throws {
        let lsn = try primary.psql("SELECT pg_current_wal_lsn()")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try psql("SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn") == "t" { return }
            usleep(20_000)
        }
        throw LocalPostgresError("the replica did not replay up to \(lsn) within \(timeout)")
    }

    /// One value from `psql` as the superuser, for the cluster's own housekeeping.
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        let psql = FileManager.default.isExecutableFile(atPath: "\(binDirectory)/psql") ? "\(binDirectory)/psql" : "/usr/bin/psql"
        let arguments = ["-X", "-A", "-t", "-h", socketDirectory, "-p", "5432", "-U", superuser, "-d", database, "-c", sql]
        return try runChecked(psql, arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
