import CLibPQ
import Foundation

/// A NOTIFY received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

extension PostgresConnection {
    /// Subscribes to a channel. Notifications arrive only between transactions, so a listening
    /// connection should stay idle.
    public func listen(_ channel: String) throws {
        try execute("LISTEN \(try quoteIdentifier(channel))")
    }

    public func unlisten(_ channel: String) throws {
        try execute("UNLISTEN \(try quoteIdentifier(channel))")
    }

    /// Sends a notification with a bound payload (`pg_notify`), delivered at commit.
    public func notify(_ channel: String, payload: String = "") throws {
        try execute("SELECT pg_notify($1, $2)", channel, payload)
    }

    /// Waits until a notification arrives or `timeout` passes, by polling the socket for
    /// readiness, so the wait costs no CPU and returns within milliseconds of the NOTIFY.
    ///
    /// Blocks the calling thread: call it on a thread you own, never on the cooperative pool.
    /// Returns nil on timeout; throws when the connection is lost.
    public func waitForNotification(timeout: Duration) throws -> PostgresNotification? {
        if let pending = try nextNotification() { return pending }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError.fromConnection(handle, fallback: "connection has no socket") }
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000
                + Int64(remaining.components.attoseconds / 1_000_000_000_000_000) + 1)
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw PostgresError(kind: .connectionLost, message: "poll failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            if let notification = try nextNotification() { return notification }
        }
    }

    /// Reads what the socket holds and returns the next queued notification, if any.
    public func nextNotification() throws -> PostgresNotification? {
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(
                kind: .connectionLost,
                message: String(cString: PQerrorMessage(handle)).trimmedTrailingNewlines)
        }
        guard let notify = PQnotifies(handle) else { return nil }
        defer { PQfreemem(notify) }
        return PostgresNotification(
            channel: String(cString: notify.pointee.relname),
            payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
            senderPID: notify.pointee.be_pid)
    }
}
