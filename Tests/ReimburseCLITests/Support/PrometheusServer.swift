import Foundation
import ReimburseTestSupport

/// A real Prometheus server (Debian's `prometheus`), started by a test on 127.0.0.1 with a
/// private data folder and a 1 s scrape interval, scraping one target's `/metrics`.
///
/// It runs under `timeout`, so a test process that dies before ``stop()`` leaves no server
/// behind for more than a few minutes; ``withServer(scraping:_:)`` stops it on every path.
final class PrometheusServer: Sendable {
    let port: UInt16
    let folder: String
    private let process: ChildProcess

    /// The scrape job's name, the `job` label of every series it scrapes.
    static let jobName = "reimburse"

    private init(port: UInt16, folder: String, process: ChildProcess) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Runs `body` with a server scraping 127.0.0.1:`targetPort`, and stops the server after
    /// it, whether it returned or threw.
    static func withServer<T: Sendable>(
        scraping targetPort: UInt16, _ body: (PrometheusServer) async throws -> T
    ) async throws -> T {
        let server = try await start(scraping: targetPort)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private static func start(scraping targetPort: UInt16) async throws -> PrometheusServer {
        let folder = NSTemporaryDirectory() + "reimburse-prometheus-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: \(jobName)
                static_configs:
                  - targets: ["127.0.0.1:\(targetPort)"]
            """.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = try LoopbackHTTP.freePort()
        // At most 10 minutes, whatever happens to this test process.
        let process = try ChildProcess("/usr/bin/timeout", [
            "600", "prometheus",
            "--config.file=\(folder)/prometheus.yml",
            "--storage.tsdb.path=\(folder)/data",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ], environment: ChildProcess.baseEnvironment)
        let server = PrometheusServer(port: port, folder: folder, process: process)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let ready = try? await LoopbackHTTP.get(port: port, "/-/ready", timeout: .seconds(2)), ready.status == 200 {
                return server
            }
            if kill(process.pid, 0) != 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = process.standardError
        await server.stop()
        throw TestSupportError("prometheus did not become ready on 127.0.0.1:\(port): \(output.suffix(2000))")
    }

    /// Stops the server (SIGTERM, SIGKILL after 20 s) and removes its data folder.
    func stop() async {
        process.send(SIGTERM)
        _ = try? await process.wait(timeout: .seconds(20))
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The instant vector of `query` now: each series' labels and value.
    func query(_ query: String) async throws -> [(labels: [String: String], value: Double)] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
        let response = try await LoopbackHTTP.get(port: port, "/api/v1/query?query=\(encoded)")
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              object["status"] as? String == "success",
              let data = object["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]]
        else { throw TestSupportError("query \(query) failed: \(response.status) \(response.body.prefix(500))") }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let pair = series["value"] as? [Any],
                  pair.count == 2, let text = pair[1] as? String, let value = Double(text)
            else { return nil }
            return (labels, value)
        }
    }

    /// Polls `query` until `accept` takes its result, for up to `timeout`; returns the last
    /// result either way, for the test's own expectation and its message.
    @discardableResult
    func waitFor(
        _ query: String, timeout: Duration = .seconds(30),
        until accept: ([(labels: [String: String], value: Double)]) -> Bool
    ) async throws -> [(labels: [String: String], value: Double)] {
        let deadline = ContinuousClock.now + timeout
        var last = try await self.query(query)
        while !accept(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            last = try await self.query(query)
        }
        return last
    }
}
