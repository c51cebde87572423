import FlyingFox
import FlyingSocks
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// `GET /metrics` on the configured address, in Prometheus text format: the families this
/// process records, then the queue gauges read from the database for this scrape.
///
/// ``start()`` binds before the daemon starts, so a bad or busy address ends `reimburse serve`
/// at once with one line. As a ``Service`` it serves until the group shuts down; put it before
/// the daemon in the group, so that it is stopped after the daemon drained (services stop in
/// reverse order).
public final class MetricsServer: Service, Sendable {
    public let address: MetricsAddress
    private let exporter: MetricsExporter
    private let reader: QueueGaugeReader
    private let server: HTTPServer
    private let logger: Logger
    private let serving = Mutex<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - conninfo: the daemon's database; the queue gauges use a connection of their own.
    ///   - schema: the schema holding Reimburse's tables.
    public init(address: MetricsAddress, exporter: MetricsExporter, conninfo: String?, schema: String, logger: Logger) throws {
        self.address = address
        self.exporter = exporter
        self.logger = logger
        self.reader = QueueGaugeReader(conninfo: conninfo, schema: schema, logger: logger)
        let socketAddress: any SocketAddress = switch address.family {
        case .ipv4: try sockaddr_in.inet(ip4: address.host, port: address.port)
        case .ipv6: try sockaddr_in6.inet6(ip6: address.host, port: address.port)
        }
        self.server = HTTPServer(
            config: HTTPServer.Configuration(
                address: socketAddress, timeout: 15, logger: FlyingFoxLogBridge(logger: logger)))
    }

    /// Binds the address and starts answering; throws ``MetricsServerError`` when it cannot
    /// listen there (in use, not an address of this host, not permitted).
    public func start() async throws {
        let server = self.server
        let route: @Sendable (HTTPRequest) async throws -> HTTPResponse = { [self] _ in await self.scrape() }
        await server.appendRoute("GET /metrics", handler: route)
        let outcome = OnceResult<(any Error)?>()
        let task = Task {
            do {
                try await server.run()
                outcome.set(MetricsServerError(address: address, reason: "the server stopped"))
            } catch {
                outcome.set(error)
            }
        }
        let waiter = Task {
            do {
                try await server.waitUntilListening(timeout: 10)
                outcome.set(nil)
            } catch {
                outcome.set(error)
            }
        }
        let failure = await outcome.value()
        waiter.cancel()
        if let failure {
            task.cancel()
            throw failure as? MetricsServerError ?? MetricsServerError(address: address, reason: Self.reason(failure))
        }
        serving.withLock { $0 = task }
        logger.info("serving metrics", metadata: ["address": "\(address)", "path": "/metrics"])
    }

    /// "bind: Address already in use" rather than the socket library's enum.
    static func reason(_ error: any Error) -> String {
        switch error as? SocketError {
        case .failed(let call, _, let message): "\(call.lowercased()): \(message)"
        case .some(let other): other.localizedDescription
        case nil: "\(error)"
        }
    }

    /// One scrape's body.
    func scrape() async -> HTTPResponse {
        let rows = await reader.read()
        var body = exporter.renderRecorded()
        body.append(contentsOf: ExpositionText.queueFamilies(rows))
        return HTTPResponse(
            statusCode: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: Data(body))
    }

    /// Serves until the service group shuts down, then stops listening.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops listening and closes the database connection.
    public func stop() async {
        await server.stop(timeout: 1)
        serving.withLock { $0 }?.cancel()
        await reader.close()
    }
}

/// The metrics address cannot be listened on.
public struct MetricsServerError: Error, CustomStringConvertible {
    public let description: String

    init(address: MetricsAddress, reason: String) {
        description = "cannot serve metrics on \(address): \(reason)"
    }
}
