import Foundation
import LocalPostgres
import Postgres
import ReimburseStore

/// The benchmark's own PostgreSQL: a throwaway cluster, but configured like a small production
/// server (durable commits, autovacuum on), not like the disposable test server. Each setting is
/// explained in docs/BENCHMARKS.md. The daemon under test logs in as ``serviceLogin``, a member
/// of `reimburse_service` only, as production runs it (sql/0005, README "Creating the database
/// and the logins"): row-level security applies and its COPYs go through staging tables.
struct BenchCluster {
    /// The daemon's login: `LOGIN IN ROLE reimburse_service`, no other privilege.
    static let serviceLogin = "reimburse_bench_daemon"

    static let parameters: [String: String] = [
        // As on any production server: autovacuum on, with its default thresholds, so output
        // tables get analyzed by it in the middle of a job.
        "autovacuum": "on",
        // Durability stays as in production: every commit waits for its WAL flush.
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        // Enough cache for the 1M-customer working set (about 1 GiB) to stay mostly in memory.
        "shared_buffers": "512MB",
        // No checkpoint in the middle of a measured run (the default 1GB / 5min would force
        // several, each followed by a burst of full-page images).
        "max_wal_size": "4GB",
        "checkpoint_timeout": "30min",
        "wal_buffers": "16MB",
        // Sorts and hashes of the chunk queries stay in memory; index builds are fast.
        "work_mem": "32MB",
        "maintenance_work_mem": "512MB",
        // Planner hint only: how much the OS caches for PostgreSQL.
        "effective_cache_size": "8GB",
        "max_connections": "100",
    ]

    let cluster: LocalPostgresCluster
    let migrations: SchemaMigrator

    static func start(extra: [String: String]) throws -> BenchCluster {
        var settings = parameters
        for (name, value) in extra { settings[name] = value }
        let cluster = try LocalPostgresCluster.start(
            settings: LocalPostgresCluster.Settings(parameters: settings), prefix: "reimburse-bench")
        do {
            let migrations = try SchemaMigrator(directory: SchemaMigrator.locateDirectory())
            return BenchCluster(cluster: cluster, migrations: migrations)
        } catch {
            cluster.destroy()
            throw error
        }
    }

    func destroy() { cluster.destroy() }

    /// The superuser (the schema owner here): loads data, inserts jobs, runs the set-based SQL.
    func conninfo(_ database: String) -> String { cluster.conninfo(database: database) }

    func connect(_ database: String, name: String = "reimburse-bench") throws -> PostgresConnection {
        let connection = try PostgresConnection(conninfo: conninfo(database), applicationName: name)
        try connection.execute("SET client_min_messages = warning")
        return connection
    }

    /// A new database with the schema migrated.
    func createDatabase(_ name: String) throws {
        let admin = try connect("postgres")
        try admin.execute("DROP DATABASE IF EXISTS \(name)")
        try admin.execute("CREATE DATABASE \(name)")
        try migrations.migrate(try connect(name))
        try createServiceLogin()
    }

    /// The daemon's login, once per cluster (roles are cluster-wide; the group role
    /// `reimburse_service` exists once the first database is migrated).
    private func createServiceLogin() throws {
        try connect("postgres").execute("""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '\(Self.serviceLogin)') THEN
                    CREATE ROLE \(Self.serviceLogin) LOGIN IN ROLE reimburse_service;
                END IF;
            END
            $$
            """)
    }

    /// A copy of a loaded database, so several runs start from the same data.
    func cloneDatabase(_ template: String, to name: String) throws {
        let admin = try connect("postgres")
        try admin.execute("DROP DATABASE IF EXISTS \(name)")
        try admin.execute("CREATE DATABASE \(name) TEMPLATE \(template) STRATEGY file_copy")
    }

    /// Proves the daemon's login is what production uses: not a superuser, no BYPASSRLS, and
    /// row-level security filtering its writes (so its COPYs are staged). Returns a line for the
    /// report; throws when any of that does not hold.
    func checkServiceLogin(_ database: String) throws -> String {
        let connection = try PostgresConnection(
            conninfo: cluster.conninfo(database: database, user: Self.serviceLogin), applicationName: "reimburse-bench")
        let row = try connection.execute("""
            SELECT r.rolsuper, r.rolbypassrls, row_security_active('reimbursement'),
                   pg_has_role(current_user, 'reimburse_service', 'MEMBER')
              FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
            """)[0]
        let (superuser, bypass, rowSecurity, member) = (
            try row.decode(Bool.self, at: 0), try row.decode(Bool.self, at: 1), try row.decode(Bool.self, at: 2),
            try row.decode(Bool.self, at: 3))
        guard !superuser, !bypass, rowSecurity, member else {
            throw BenchmarkError("the daemon's login \(Self.serviceLogin) is not a plain reimburse_service member "
                + "(superuser \(superuser), bypassrls \(bypass), row security active \(rowSecurity), member \(member))")
        }
        return "login \(Self.serviceLogin): member of reimburse_service, not superuser, row-level security active"
    }

    /// The server log's current size: where a profile of what runs next starts.
    func logSize() -> Int {
        (try? FileManager.default.attributesOfItem(atPath: cluster.logFile)[.size] as? Int) ?? 0
    }

    func dropDatabase(_ name: String) {
        guard let admin = try? connect("postgres") else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// PostgreSQL version and the settings that matter, for the report.
    func describe() throws -> [String] {
        let connection = try connect("postgres")
        var lines = ["server: " + (try connection.textValue("SELECT version()"))]
        let names = Self.parameters.keys.sorted()
        let rows = try connection.query(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name", names
        ) { row in "\(try row.decode(String.self, at: 0))=\(try row.decode(String.self, at: 1))" }
        lines.append("settings: " + rows.joined(separator: " "))
        return lines
    }
}
