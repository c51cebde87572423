import CLibPQ

extension PostgresConnection {
    /// Asks the server to answer a trivial query: a connection that looks fine to libpq may
    /// still be dead (the server restarted, a firewall dropped it) until something is sent.
    public func isHealthy() -> Bool {
        guard isConnected, !isInTransaction else { return isConnected }
        return (try? execute("SELECT 1")) != nil
    }

    /// Reconnects with the same parameters after the connection broke. Session state
    /// (LISTEN, SET, prepared statements) is gone afterwards; the caller sets it up again.
    public func reconnect() throws {
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                kind: .connectionFailed,
                message: "cannot reconnect to \(target): "
                    + String(cString: PQerrorMessage(handle)).trimmedTrailingNewlines)
        }
        try prepareSession()
    }
}
