import Foundation
public import Postgres

/// Applies the numbered SQL files of `sql/` that a database has not seen yet.
///
/// Each file runs in its own transaction and is recorded with its checksum, so a run that
/// fails half-way leaves whole files applied or not at all, and an applied file that was later
/// edited is refused rather than silently skipped. A session advisory lock serialises
/// migrators, so two hosts starting at once do not collide: the second waits, then finds
/// nothing to do.
public struct SchemaMigrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public var name: String
        public var sql: String
    }

    /// The outcome of one run.
    public struct Outcome: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: [String]
    }

    public let migrations: [Migration]

    /// An arbitrary constant that names "the reimburse schema migration" among advisory locks.
    static let advisoryLockKey: Int64 = 0x5245_494D_4D49_4752

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// Loads every `NNNN_name.sql` of a folder, in name order.
    public init(directory: String) throws {
        let fileManager = FileManager.default
        let names: [String]
        do {
            names = try fileManager.contentsOfDirectory(atPath: directory)
        } catch {
            throw SchemaMigrationError("cannot read the migrations folder \(directory): \(error.localizedDescription)")
        }
        let files = names.filter(Self.isMigrationFileName).sorted()
        guard !files.isEmpty else {
            throw SchemaMigrationError("no migration files (NNNN_name.sql) in \(directory)")
        }
        let migrations = try files.map { name -> Migration in
            let path = "\(directory)/\(name)"
            guard let sql = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SchemaMigrationError("cannot read \(path) as UTF-8 text")
            }
            return Migration(name: name, sql: sql)
        }
        self.init(migrations: migrations)
    }

    static func isMigrationFileName(_ name: String) -> Bool {
        guard name.hasSuffix(".sql"), name.count > 9 else { return false }
        let prefix = name.prefix(5)
        return prefix.prefix(4).allSatisfy(\.isNumber) && prefix.last == "_"
    }

    /// Finds the `sql/` folder: an explicit path, then `REIMBURSE_SQL_DIR`, then the installed
    /// location beside the binary (`../share/reimburse/sql`), then a source checkout above the
    /// binary or the working directory.
    public static func locateDirectory(explicit: String? = nil) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["REIMBURSE_SQL_DIR"], !configured.isEmpty { return configured }
        var candidates: [String] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let binaryFolder = executable.deletingLastPathComponent()
        candidates.append(binaryFolder.appendingPathComponent("../share/reimburse/sql").standardized.path)
        var folder = binaryFolder
        for _ in 0..<8 {
            candidates.append(folder.appendingPathComponent("sql").path)
            folder = folder.deletingLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/sql")
        for candidate in candidates where Self.containsMigrations(candidate) {
            return candidate
        }
        throw SchemaMigrationError(
            "cannot find the sql/ migrations folder; pass --sql-dir or set REIMBURSE_SQL_DIR")
    }

    static func containsMigrations(_ folder: String) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
        return names.contains(where: isMigrationFileName)
    }

    /// Brings the connected database up to date. Must not be called inside a transaction.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> Outcome {
        try connection.execute("SELECT pg_advisory_lock($1)", Self.advisoryLockKey)
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey) }
        // Only the first run creates the bookkeeping table, so an up-to-date database can be
        // checked by a login without CREATE rights (the daemon's, at every start).
        let hasTable = try connection.queryValue(
            Bool.self, "SELECT to_regclass('reimburse_schema_migration') IS NOT NULL") ?? false
        if !hasTable {
            try connection.execute("""
            CREATE TABLE reimburse_schema_migration (
                name text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        }
        let recorded = try connection.query("SELECT name, checksum FROM reimburse_schema_migration") { row in
            (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
        }
        let appliedChecksums = Dictionary(uniqueKeysWithValues: recorded)
        let unknown = Set(appliedChecksums.keys).subtracting(migrations.map(\.name))
        if !unknown.isEmpty {
            throw SchemaMigrationError(
                "the database has migrations this program does not know: \(unknown.sorted().joined(separator: ", ")); "
                    + "it is newer than this program")
        }
        var outcome = Outcome(applied: [], alreadyApplied: [])
        for migration in migrations {
            let checksum = try checksum(of: migration, on: connection)
            if let applied = appliedChecksums[migration.name] {
                guard applied == checksum else {
                    throw SchemaMigrationError(
                        "migration \(migration.name) was changed after it was applied "
                            + "(checksum \(applied.prefix(12))… now \(checksum.prefix(12))…); "
                            + "restore the file and put the change in a new migration")
                }
                outcome.alreadyApplied.append(migration.name)
                continue
            }
            do {
                try connection.transaction { connection in
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        "INSERT INTO reimburse_schema_migration (name, checksum) VALUES ($1, $2)",
                        migration.name, checksum)
                }
            } catch let error as PostgresError {
                throw SchemaMigrationError("migration \(migration.name) failed: \(error)")
            }
            outcome.applied.append(migration.name)
        }
        return outcome
    }

    /// SHA-256 computed by the server, so no hashing code is needed here.
    private func checksum(of migration: Migration, on connection: PostgresConnection) throws -> String {
        try connection.queryValue(
            String.self, "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", migration.sql) ?? ""
    }
}

/// A migration problem worded for the person running `reimburse migrate`.
public struct SchemaMigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
