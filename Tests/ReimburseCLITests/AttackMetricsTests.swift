import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Adversarial review of `/metrics` (PRODUCT.md section 10, issue 18) against the real binary:
/// hostile labels, many companies, clients that never read, many scrapes at once, and the
/// output after reversals and failures. Attacks that held stay as regression tests.
@Suite("Attack: /metrics")
struct AttackMetricsTests {
    /// Company codes are labels: quotes, backslashes, newlines, spaces and non-ASCII are refused
    /// by the company id format before they could reach a scrape.
    @Test func hostileCompanyCodesNeverBecomeLabels() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            for hostile in ["A\"B", "A\\B", "A\nB", "A B", "A\rB", "\u{C9}", "A}B", "A,B", String(repeating: "A", count: 21)] {
                do {
                    try Fixtures.company(hostile, on: connection)
                    Issue.record("company \(hostile.debugDescription) was accepted")
                } catch let error as PostgresError {
                    #expect(error.constraintName == "company_id_format", "\(hostile.debugDescription): \(error)")
                }
            }
        }
    }

    /// 1,000 companies: the scrape stays small and quick, and promtool accepts it.
    /// 60 clients that connect and never finish a request or never read the answer do not stop
    /// another scrape, do not stop jobs from running, and do not stop the daemon from exiting.
    @Test func manyCompaniesAndClientsThatNeverReadDoNotStallTheDaemon() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { connection in
            try connection.execute("""
                INSERT INTO company (id, name, accounting_currency, vendor_summary_account)
                SELECT 'C' || lpad(g::text, 4, '0'), 'Company ' || g, 'USD', '2110' FROM generate_series(1, 1000) g
                """)
            try MetricsFixture.companies(on: connection)
        }
        let port = try LoopbackHTTP.freePort()
        try await MetricsFixture.withDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"]) { _ in
            let started = ContinuousClock.now
            let first = try await LoopbackHTTP.get(port: port, "/metrics", timeout: .seconds(20))
            let took = ContinuousClock.now - started
            #expect(first.status == 200)
            #expect(first.body.contains("reimburse_queue_query_up 1"), "\(first.body.suffix(500))")
            #expect(first.body.contains(#"reimburse_jobs{company="C1000",state="queued"} 0"#))
            // A bound that means "not stuck", not a speed goal (a loaded 2-core machine is slow).
            #expect(took < .seconds(15), "a scrape of 1,000 companies took \(took)")
            #expect(first.body.utf8.count < 1_000_000, "scrape of \(first.body.utf8.count) bytes")
            print("attack metrics: 1,003 companies, scrape \(first.body.utf8.count) bytes in \(took)")
            let check = try await Promtool.checkMetrics(first.body)
            #expect(check.exitCode == 0 && check.standardError.isEmpty, "\(check)")

            // Clients that hold connections: half never send a whole request, half ask for
            // /metrics with a tiny receive buffer and never read.
            var sockets: [Int32] = []
            defer { for socket in sockets { close(socket) } }
            for index in 0..<60 {
                let socket = try Self.connect(port: port, receiveBuffer: 256)
                sockets.append(socket)
                let request = index % 2 == 0 ? "GET /metr" : "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                _ = request.withCString { send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            }
            try await Task.sleep(for: .seconds(1))
            let during = ContinuousClock.now
            let answer = try await LoopbackHTTP.get(port: port, "/metrics", timeout: .seconds(20))
            // Below the server's 15 s connection timeout: not queued behind the idle clients.
            #expect(ContinuousClock.now - during < .seconds(14), "a scrape waited \(ContinuousClock.now - during) behind idle clients")
            #expect(answer.status == 200)
            try await database.withConnection { try MetricsFixture.enqueueJobs(on: $0) }
            try await MetricsFixture.waitUntilNoJobIsUnfinished(database, timeout: .seconds(30))
            // The daemon stops (withDaemon: SIGTERM, exit 0 within 30 s) with them still open.
        }
    }

    /// 40 scrapes at once (two Prometheus servers of an HA pair, or a curious operator): each
    /// is answered, and each answer is a well-formed exposition; each should carry the queue
    /// gauges too (known issue).
    @Test func manyScrapesAtOnceAreAllAnswered() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try MetricsFixture.companies(on: $0) }
        let port = try LoopbackHTTP.freePort()
        try await MetricsFixture.withDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"]) { _ in
            let directory = NSTemporaryDirectory() + "attack-metrics-\(getpid())-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let urls = (0..<40).flatMap { ["-o", "\(directory)/\($0).txt", "http://127.0.0.1:\(port)/metrics"] }
            let curl = try ChildProcess(
                "/usr/bin/curl", ["-s", "-Z", "--parallel-max", "40", "--max-time", "20", "-w", "%{http_code}\\n"] + urls,
                environment: ChildProcess.baseEnvironment)
            let outcome = try await curl.wait(timeout: .seconds(60))
            #expect(outcome.exitCode == 0, "\(outcome)")
            #expect(outcome.standardOutput.split(separator: "\n") == Array(repeating: "200", count: 40), "\(outcome)")
            var withoutQueue = 0
            for index in 0..<40 {
                let body = try String(contentsOfFile: "\(directory)/\(index).txt", encoding: .utf8)
                #expect(body.contains("reimburse_build_info{"))
                if body.contains("reimburse_queue_query_up 0") { withoutQueue += 1 }
            }
            print("attack metrics: \(withoutQueue) of 40 simultaneous scrapes went without the queue gauges")
            // Each scrape carries the queue gauges (one grouped query per scrape): a scrape that
            // arrives while another's query is in flight is served without reimburse_jobs and
            // with reimburse_queue_query_up 0, so an HA pair of Prometheus servers sees the
            // series vanish and reappear (staleness resets `for:` of the queue-stuck alert).
            #expect(withoutQueue == 0, "\(withoutQueue) of 40 scrapes without reimburse_jobs")
            let one = try String(contentsOfFile: "\(directory)/0.txt", encoding: .utf8)
            let check = try await Promtool.checkMetrics(one)
            #expect(check.exitCode == 0, "\(check)")
        }
    }

    /// After a failed job and a reversal run by the daemon: promtool still accepts the scrape,
    /// the reversal did not count as reimbursements or reimbursed customers, and the failure is
    /// counted.
    @Test func reversalsAndFailuresKeepTheScrapeValidAndCountsHonest() async throws {
        let database = try await TestServer.database()
        try await database.withConnection { try MetricsFixture.companies(on: $0) }
        let port = try LoopbackHTTP.freePort()
        try await MetricsFixture.withDaemon(database, arguments: ["--metrics-address", "127.0.0.1:\(port)"]) { _ in
            try await database.withConnection { try MetricsFixture.enqueueJobs(on: $0) }
            try await MetricsFixture.waitUntilNoJobIsUnfinished(database)
            let before = try await LoopbackHTTP.get(port: port, "/metrics")
            #expect(before.body.contains("reimburse_reimbursements_total 3"), "\(before.body)")
            try await database.withConnection { connection in
                try connection.execute("""
                    INSERT INTO reimbursement_job (company_id, operation, reverses_job_id, reversal_reason)
                    SELECT company_id, 'reverse', id, E'bad\\nrun "x"' FROM reimbursement_job
                     WHERE company_id = 'USMF' AND mode = 'post'
                    """)
                try connection.execute("DELETE FROM number_sequence WHERE company_id = 'FAIL'")
                try connection.execute("INSERT INTO reimbursement_job (company_id) VALUES ('FAIL')")
            }
            try await MetricsFixture.waitUntilNoJobIsUnfinished(database)
            let reversed = try await database.withConnection {
                try $0.queryValue(Int.self, "SELECT count(*)::int FROM reimbursement_reversal")!
            }
            #expect(reversed == 2)
            let after = try await LoopbackHTTP.get(port: port, "/metrics")
            #expect(after.body.contains("reimburse_reimbursements_total 3"), "reversals counted: \(after.body)")
            #expect(after.body.contains(#"operation="reverse""#), "\(after.body)")
            let check = try await Promtool.checkMetrics(after.body)
            #expect(check.exitCode == 0 && check.standardError.isEmpty, "\(check)")
            // Counters never go down between two scrapes of one process.
            for line in before.body.split(separator: "\n") where line.hasPrefix("reimburse_") && line.contains("_total") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let value = Double(parts[1]) else { continue }
                let later = after.body.split(separator: "\n").first { $0.hasPrefix(parts[0] + " ") }
                let laterValue = later.flatMap { Double($0.split(separator: " ")[1]) }
                #expect(laterValue.map { $0 >= value } == true, "\(line) -> \(later ?? "gone")")
            }
        }
    }

    static func connect(port: UInt16, receiveBuffer: Int32) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        var size = receiveBuffer
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw TestSupportError("connect: \(String(cString: strerror(errno)))")
        }
        return socket
    }
}
