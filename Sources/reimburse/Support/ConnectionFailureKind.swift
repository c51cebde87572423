import Postgres

/// Why a connection could not be opened, from libpq's words (libpq passes no SQLSTATE for a
/// failed connection attempt): a server that was reached and said no is a setting to fix
/// (exit 78); a server that was not reached is an outage (exit 69).
///
/// The phrases are those of PostgreSQL 12-17's authentication and startup errors and of
/// libpq's own checks of the connection options.
enum ConnectionFailureKind: Equatable {
    /// The server refused this login: wrong or missing password, unknown role or database,
    /// no `pg_hba.conf` entry, a role without LOGIN, a certificate or SSL mode it requires.
    case refusedLogin
    /// A connection option libpq rejects before connecting (an unknown option, a bad value).
    case invalidOption
    /// Anything else: no server at that address, a timeout, a lost network.
    case unreachable

    init(_ error: PostgresError) {
        let message = error.message
        if Self.invalidOptionPhrases.contains(where: message.contains) {
            self = .invalidOption
        } else if Self.refusedLoginPhrases.contains(where: message.contains) {
            self = .refusedLogin
        } else {
            self = .unreachable
        }
    }

    static let refusedLoginPhrases = [
        "password authentication failed", "no password supplied", "fe_sendauth",
        "authentication failed for user", "does not exist", "no pg_hba.conf entry",
        "is not permitted to log in", "SCRAM authentication", "server requested",
        "certificate", "SSL error", "server does not support SSL", "GSSAPI",
        "permission denied for database", "password retrieved from file",
    ]

    static let invalidOptionPhrases = [
        "invalid connection option", "in connection info string", "invalid URI", "invalid percent-encoded token",
        "invalid integer value", "invalid port number", "invalid sslmode value", "invalid gssencmode value",
        "invalid target_session_attrs value", "invalid load_balance_hosts value", "invalid channel_binding value",
        "invalid require_auth", "could not match", "unexpected spaces found", "invalid host address",
        "end of string reached when looking for matching \"]\"",
    ]
}
