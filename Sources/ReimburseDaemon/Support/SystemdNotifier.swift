import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Talks the sd_notify protocol to the service manager without linking libsystemd.
///
/// The protocol is one datagram per message, sent to the unix socket named by
/// `NOTIFY_SOCKET`, holding newline-separated `KEY=VALUE` lines. Writing it by hand keeps the
/// binary free of a C dependency that exists only on systemd hosts, and keeps it testable: the
/// environment is a parameter, so a test can point it at a socket it bound itself.
///
/// A notifier outside systemd (no `NOTIFY_SOCKET`) is disabled and every call is a cheap no-op,
/// so callers never need to ask where they run. Sending never throws out of the convenience
/// methods and never traps: a lost `READY=1` makes systemd time the start out, which is the
/// right outcome and needs no second failure path here. Callers that want to log a failure use
/// ``send(_:)``.
public struct SystemdNotifier: Sendable {
    /// Why a message did not reach the service manager.
    public struct SendError: Error, CustomStringConvertible, Sendable, Equatable {
        public let description: String

        init(_ description: String) {
            self.description = description
        }

        static func system(_ call: String, _ code: Int32) -> SendError {
            SendError("\(call): \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    /// `NOTIFY_SOCKET` as systemd gave it: a path, or `@name` for the abstract namespace.
    public let socketAddress: String?

    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// recommends, so that one late ping does not get the service killed. Nil when the unit
    /// has no `WatchdogSec=` or when the watchdog is meant for another process
    /// (`WATCHDOG_PID` names a different pid, e.g. a wrapper script that exec'd us without
    /// passing it on).
    public let watchdogInterval: Duration?

    /// `ProcessInfo.processInfo.environment`, spelt here so that the default argument below
    /// does not make Foundation a public import of this module.
    public static var processEnvironment: [String: String] { ProcessInfo.processInfo.environment }

    /// Reads the environment once: systemd sets these variables before exec and never changes
    /// them, and taking a dictionary lets tests use their own socket.
    public init(environment: [String: String] = SystemdNotifier.processEnvironment) {
        self.init(environment: environment, processID: getpid())
    }

    init(environment: [String: String], processID: pid_t) {
        let address = environment["NOTIFY_SOCKET"] ?? ""
        // Only unix sockets are understood; newer systemd also hands out `vsock:` addresses
        // (for VMs), which a daemon on a host never receives.
        if address.hasPrefix("/") || (address.hasPrefix("@") && address.utf8.count > 1) {
            self.socketAddress = address
        } else {
            self.socketAddress = nil
        }
        self.watchdogInterval = Self.watchdogInterval(environment: environment, processID: processID)
    }

    /// False outside systemd or under `Type=simple`; lets a caller skip work such as building
    /// a status text nobody receives.
    public var isEnabled: Bool { socketAddress != nil }

    /// Half of `WATCHDOG_USEC`, or nil when there is no watchdog for `processID`.
    static func watchdogInterval(environment: [String: String], processID: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let pidText = environment["WATCHDOG_PID"], !pidText.isEmpty {
            guard let pid = Int64(pidText), pid == Int64(processID) else { return nil }
        }
        return .microseconds(Int64(clamping: microseconds / 2))
    }

    // MARK: - Typed messages

    /// Startup is complete; with `Type=notify` systemd holds back units ordered after us, and
    /// counts the start as failed after `TimeoutStartSec=`, until this arrives.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        var fields = [("READY", "1")]
        if let status { fields.append(("STATUS", status)) }
        return notify(fields)
    }

    /// The one-line text `systemctl status` shows, e.g. "2 workers, 3 jobs running".
    @discardableResult
    public func status(_ text: String) -> Bool {
        notify([("STATUS", text)])
    }

    /// Tells systemd that the exit that follows is an orderly stop, not a crash, so that it
    /// shows "deactivating" while the running chunks finish.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        var fields = [("STOPPING", "1")]
        if let status { fields.append(("STATUS", status)) }
        return notify(fields)
    }

    /// The keep-alive for `WatchdogSec=`; without it systemd kills and restarts a hung daemon.
    @discardableResult
    public func watchdog() -> Bool {
        notify([("WATCHDOG", "1")])
    }

    /// Asks for more time than `TimeoutStartSec=`/`TimeoutStopSec=` allow, counted from now;
    /// for a start or stop that is slow but demonstrably progressing (a long migration, a
    /// chunk that is still posting).
    @discardableResult
    public func extendTimeout(microseconds: UInt64) -> Bool {
        notify([("EXTEND_TIMEOUT_USEC", String(microseconds))])
    }

    /// ``extendTimeout(microseconds:)`` for callers that think in `Duration`.
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Bool {
        guard duration > .zero else { return extendTimeout(microseconds: 0) }
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
        let microseconds = overflow ? UInt64.max : whole &+ UInt64(attoseconds / 1_000_000_000_000)
        return extendTimeout(microseconds: microseconds)
    }

    /// Sends arbitrary fields in one datagram (keys sorted, so the bytes are predictable).
    /// Returns false when disabled or when sending failed.
    @discardableResult
    public func notify(_ fields: [String: String]) -> Bool {
        notify(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private func notify(_ fields: [(String, String)]) -> Bool {
        guard isEnabled else { return false }
        do {
            try send(Self.message(fields))
            return true
        } catch {
            return false
        }
    }

    /// Builds the datagram. A newline inside a value would start a new assignment (a status
    /// text could otherwise smuggle in `READY=1`), so newlines in values become spaces; a key
    /// that is not a plain `[A-Z0-9_]` name is dropped, as systemd would ignore it anyway.
    static func message(_ fields: [(String, String)]) -> String {
        var lines: [String] = []
        for (key, value) in fields {
            guard !key.isEmpty, key.utf8.allSatisfy(Self.isKeyByte) else { continue }
            let flattened = value.contains(where: \.isNewline)
                ? String(value.map { $0.isNewline ? " " : $0 })
                : value
            lines.append("\(key)=\(flattened)")
        }
        return lines.joined(separator: "\n")
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }

    // MARK: - The socket

    /// Sends one raw message, reporting why it failed. A fresh socket per message, as
    /// libsystemd does: messages are rare (start, stop, a watchdog ping every few seconds), and
    /// a socket held open would need an owner to close it.
    public func send(_ message: String) throws(SendError) {
        guard let socketAddress else { throw SendError("NOTIFY_SOCKET is not set") }
        guard !message.isEmpty else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathCapacity = MemoryLayout.size(ofValue: address.sun_path)
        var name = Array(socketAddress.utf8)
        let abstract = name.first == UInt8(ascii: "@")
        if abstract {
            // The abstract namespace is a leading NUL byte; the name is not NUL-terminated
            // and its length is part of the address.
            name[0] = 0
        }
        guard name.count + (abstract ? 0 : 1) <= pathCapacity else {
            throw SendError("NOTIFY_SOCKET is longer than a unix socket address allows: \(socketAddress)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: name)
        }
        let addressLength = socklen_t(
            MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count + (abstract ? 0 : 1))

        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { throw SendError.system("socket", errno) }
        defer { close(fd) }

        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, buffer.baseAddress, buffer.count, flags, socketAddress, addressLength)
                }
            }
        }
        guard sent >= 0 else { throw SendError.system("sendto \(socketAddress)", errno) }
        guard sent == bytes.count else {
            throw SendError("sendto \(socketAddress): sent \(sent) of \(bytes.count) bytes")
        }
    }

    // MARK: - Watchdog loop

    /// Pings the watchdog at ``watchdogInterval`` until the task is cancelled; returns at once
    /// when there is no watchdog. Run it beside the work: a ping from a task on the same
    /// cooperative pool proves the process still schedules work, which is what a hung daemon
    /// (a deadlock, a starved pool) fails to do.
    public func runWatchdog() async {
        guard isEnabled, let interval = watchdogInterval else { return }
        while !Task.isCancelled {
            watchdog()
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
