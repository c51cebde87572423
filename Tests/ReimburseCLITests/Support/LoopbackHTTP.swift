import Foundation
import Postgres
import ReimburseTestSupport

/// A plain HTTP/1.0 GET to a server on 127.0.0.1, for the metrics tests: the daemon's
/// `/metrics` and Prometheus's query API. Blocking socket calls run on a thread of their own.
enum LoopbackHTTP {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    private static let thread = DedicatedThread(name: "loopback-http")

    static func get(port: UInt16, _ pathAndQuery: String, timeout: Duration = .seconds(10)) async throws -> Response {
        try await thread.run { try getBlocking(port: port, pathAndQuery, timeout: timeout) }
    }

    private static func getBlocking(port: UInt16, _ pathAndQuery: String, timeout: Duration) throws -> Response {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw TestSupportError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(pathAndQuery) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard send(socket, request, request.count, 0) == request.count else {
            throw TestSupportError("send to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { break }
            guard count > 0 else {
                throw TestSupportError("no answer from 127.0.0.1:\(port)\(pathAndQuery) within \(timeout)")
            }
            received.append(contentsOf: buffer[..<count])
            // A server that keeps the connection open: stop once the announced body is in.
            if let response = parse(received), let length = response.headers["content-length"].flatMap(Int.init),
               response.body.utf8.count >= length
            {
                return response
            }
        }
        guard let response = parse(received) else {
            throw TestSupportError("not an HTTP response from 127.0.0.1:\(port): \(String(decoding: received.prefix(200), as: UTF8.self))")
        }
        return response
    }

    private static func parse(_ bytes: [UInt8]) -> Response? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1])
        else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick, then released).
    static func freePort() throws -> UInt16 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                Glibc.bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("bind: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
