import ReimburseDaemon
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bound unix datagram socket standing in for systemd's notification socket.
private final class NotifySocketStub {
    let fd: Int32
    /// What goes into `NOTIFY_SOCKET`: a path, or `@name` for the abstract namespace.
    let address: String
    private let folder: String?

    /// A socket file in a fresh temporary folder.
    convenience init() throws {
        var template = Array("/tmp/reimburse-notify-XXXXXX".utf8CString)
        let folder = try template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let made = mkdtemp(buffer.baseAddress!) else { throw StubError("mkdtemp", errno) }
            return String(cString: made)
        }
        try self.init(address: folder + "/notify.sock", folder: folder)
    }

    /// A socket in the abstract namespace (Linux only), named uniquely per test.
    convenience init(abstractName: String) throws {
        try self.init(address: "@" + abstractName, folder: nil)
    }

    private init(address: String, folder: String?) throws {
        self.address = address
        self.folder = folder
        #if canImport(Darwin)
        fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw StubError("socket", errno) }
        var name = Array(address.utf8)
        let abstract = name.first == UInt8(ascii: "@")
        if abstract { name[0] = 0 }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw StubError("bind \(address)", code)
        }
        // A test that expects a datagram must not hang when none comes.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let folder {
            unlink(address)
            rmdir(folder)
        }
    }

    var environment: [String: String] { ["NOTIFY_SOCKET": address] }

    /// The next datagram, byte for byte, or nil after the receive timeout.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return Array(buffer.prefix(count))
    }

    /// True when no datagram is waiting (the notifier sent nothing).
    func isEmpty() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) < 0
    }
}

private struct StubError: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ code: Int32) {
        description = "\(call): \(String(cString: strerror(code)))"
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("each typed message arrives as one datagram with exactly these bytes")
    func typedMessages() throws {
        let stub = try NotifySocketStub()
        let notifier = SystemdNotifier(environment: stub.environment)
        #expect(notifier.isEnabled)
        #expect(notifier.socketAddress == stub.address)

        #expect(notifier.ready())
        #expect(stub.receive() == bytes("READY=1"))
        #expect(notifier.ready(status: "2 workers"))
        #expect(stub.receive() == bytes("READY=1\nSTATUS=2 workers"))
        #expect(notifier.status("job 12 of USMF: 3/40 chunks"))
        #expect(stub.receive() == bytes("STATUS=job 12 of USMF: 3/40 chunks"))
        #expect(notifier.stopping())
        #expect(stub.receive() == bytes("STOPPING=1"))
        #expect(notifier.stopping(status: "finishing 2 chunks"))
        #expect(stub.receive() == bytes("STOPPING=1\nSTATUS=finishing 2 chunks"))
        #expect(notifier.watchdog())
        #expect(stub.receive() == bytes("WATCHDOG=1"))
        #expect(notifier.extendTimeout(microseconds: 90_000_000))
        #expect(stub.receive() == bytes("EXTEND_TIMEOUT_USEC=90000000"))
        #expect(notifier.extendTimeout(by: .seconds(2) + .milliseconds(500)))
        #expect(stub.receive() == bytes("EXTEND_TIMEOUT_USEC=2500000"))
        #expect(notifier.extendTimeout(by: .seconds(-1)))
        #expect(stub.receive() == bytes("EXTEND_TIMEOUT_USEC=0"))
        #expect(stub.isEmpty())
    }

    @Test("free-form fields are sorted, newlines in values flattened, bad keys dropped")
    func freeFormFields() throws {
        let stub = try NotifySocketStub()
        let notifier = SystemdNotifier(environment: stub.environment)
        #expect(notifier.notify(["STATUS": "draining", "READY": "1", "bad key": "x", "ERRNO": "0"]))
        #expect(stub.receive() == bytes("ERRNO=0\nREADY=1\nSTATUS=draining"))
        // A status must not be able to inject a second assignment such as READY=1.
        #expect(notifier.status("line one\nREADY=1\r\nthree"))
        #expect(stub.receive() == bytes("STATUS=line one READY=1 three"))
        #expect(notifier.status("naïve ✓"))
        #expect(stub.receive() == bytes("STATUS=naïve ✓"))
    }

    #if os(Linux)
    @Test("a leading @ sends to the abstract namespace")
    func abstractNamespace() throws {
        let name = "reimburse-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let stub = try NotifySocketStub(abstractName: name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(notifier.isEnabled)
        #expect(notifier.ready(status: "up"))
        #expect(stub.receive() == bytes("READY=1\nSTATUS=up"))
        // Another abstract name does not reach this socket: the name, not a prefix, matters.
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name + "-other"])
        #expect(!other.watchdog())
        #expect(stub.isEmpty())
    }
    #endif

    @Test("without a usable NOTIFY_SOCKET the notifier is disabled and sends nothing", arguments: [
        [:], ["NOTIFY_SOCKET": ""], ["NOTIFY_SOCKET": "@"], ["NOTIFY_SOCKET": "relative/path"],
        ["NOTIFY_SOCKET": "vsock:2:1234"],
    ])
    func disabled(environment: [String: String]) {
        let notifier = SystemdNotifier(environment: environment)
        #expect(!notifier.isEnabled)
        #expect(notifier.socketAddress == nil)
        #expect(!notifier.ready())
        #expect(!notifier.notify(["STATUS": "x"]))
        #expect(throws: SystemdNotifier.SendError.self) { try notifier.send("READY=1") }
    }

    @Test("a socket that is gone is an error to report, not a crash")
    func missingSocket() throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/reimburse/notify.sock"])
        #expect(notifier.isEnabled)
        #expect(!notifier.ready())
        let error = #expect(throws: SystemdNotifier.SendError.self) { try notifier.send("READY=1") }
        #expect(error?.description.contains("/nonexistent/reimburse/notify.sock") == true)
        #expect(error?.description.contains("errno \(ENOENT)") == true)

        let tooLong = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)])
        let longError = #expect(throws: SystemdNotifier.SendError.self) { try tooLong.send("READY=1") }
        #expect(longError?.description.contains("longer than") == true)
    }

    @Test("watchdog interval is half of WATCHDOG_USEC when the watchdog is ours")
    func watchdogInterval() {
        let ours = String(getpid())
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(15))
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": ours]).watchdogInterval
                == .seconds(15))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "3", "WATCHDOG_PID": ""]).watchdogInterval
            == .microseconds(1))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "x"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "-5"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30s"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_PID": ours]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
    }

    @Test("runWatchdog pings repeatedly until cancelled, and returns at once without a watchdog")
    func watchdogLoop() async throws {
        let stub = try NotifySocketStub()
        var environment = stub.environment
        environment["WATCHDOG_USEC"] = "20000"  // a ping every 10 ms
        let notifier = SystemdNotifier(environment: environment)
        let loop = Task { await notifier.runWatchdog() }
        #expect(stub.receive() == bytes("WATCHDOG=1"))
        #expect(stub.receive() == bytes("WATCHDOG=1"))
        loop.cancel()
        await loop.value

        // No WATCHDOG_USEC: nothing to do, so it must not wait for cancellation.
        await SystemdNotifier(environment: stub.environment).runWatchdog()
    }
}
