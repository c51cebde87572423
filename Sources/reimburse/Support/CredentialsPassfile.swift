import Foundation

/// systemd's `LoadCredential=pgpassfile:...` hands the database password to the service as a
/// file in `$CREDENTIALS_DIRECTORY`, readable only by the service. libpq reads passwords from
/// `PGPASSFILE`; pointing it there keeps the password out of the unit file, the environment
/// and the command line.
enum CredentialsPassfile {
    /// Sets `PGPASSFILE` when the credential exists and nothing set it already. Called once,
    /// before any connection is opened.
    static func exportIfPresent() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PGPASSFILE"] == nil,
              let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty
        else { return }
        let path = "\(directory)/pgpassfile"
        guard FileManager.default.isReadableFile(atPath: path) else { return }
        setenv("PGPASSFILE", path, 0)
    }
}
