import Foundation

/// The demo on its private server must not be steered by settings meant for a real database.
///
/// libpq fills every connection parameter a conninfo leaves out from the environment, and some
/// override what it gives: `PGHOSTADDR` replaces the host it connects to, `PGOPTIONS` adds
/// server settings, `PGSERVICE` names a service file entry, `PGSSLMODE`, `PGTARGETSESSIONATTRS`
/// and others change how it connects. Before the private server is started, the demo removes
/// `DATABASE_URL` and every variable named `PG` followed by a capital letter (all of libpq's,
/// which `PG_BINDIR`, naming the server tools, is not) from its own environment, so that its
/// connections, its daemon and the `initdb`/`pg_ctl` it starts see only the private server.
///
/// Called first thing in the demo's `run()`, before the demo starts a thread of its own or
/// any connection is made.
enum PrivateServerEnvironment {
    /// The names removed, sorted, from the current environment.
    static func namesToClear(in environment: [String: String]) -> [String] {
        environment.keys.filter(isDatabaseSetting).sorted()
    }

    static func isDatabaseSetting(_ name: String) -> Bool {
        if name == "DATABASE_URL" { return true }
        let scalars = Array(name.unicodeScalars)
        return scalars.count > 2 && scalars[0] == "P" && scalars[1] == "G" && ("A"..."Z").contains(scalars[2])
    }

    static func clear() {
        for name in namesToClear(in: ProcessInfo.processInfo.environment) {
            unsetenv(name)
        }
    }
}
