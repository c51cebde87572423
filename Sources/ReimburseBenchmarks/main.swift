import Foundation

/// `reimburse-bench`: the performance figures of docs/BENCHMARKS.md.
///
///     reimburse-bench engine
///     reimburse-bench large [--customers N] [--chunk-sizes 500,2000,5000] [--profile]
///                           [--statistics analyzed|never-analyzed|both]
///     reimburse-bench many-small [--companies 500] [--customers 10] [--workers 1,2,4]
///     reimburse-bench latency [--jobs 200]
///     reimburse-bench all            (engine, large at 100k and 1M, many-small, latency)
///     reimburse-bench ... --smoke    (tiny counts, for CI: about a minute; large in both
///                                     statistics states, with the set-based comparison)
///     common: --seed S, --pg name=value (extra server setting), --keep-logs
///
/// It starts its own throwaway PostgreSQL (BenchCluster) and destroys it at the end. The daemon
/// under test logs in as a member of `reimburse_service` (BenchCluster.serviceLogin).
struct Options {
    var command = "all"
    var smoke = false
    var customers: [Int]?
    var chunkSizes: [Int?] = [nil]
    var profile = false
    var companies = 500
    var customersPerCompany = 10
    var workers = [1, 2, 4]
    var jobs = 200
    var seed: UInt64 = 42
    var serverSettings: [String: String] = [:]
    /// nil: `analyzed`, or both states with --smoke.
    var statistics: [StatisticsState]?

    static let usage = """
        usage: reimburse-bench [engine|large|many-small|latency|all] [--smoke] [--customers N[,N...]]
               [--chunk-sizes 500,2000] [--profile] [--statistics analyzed|never-analyzed|both]
               [--analyze-empty (= --statistics analyzed)] [--companies N] [--customers-per-company N]
               [--workers 1,2,4] [--jobs N] [--seed S] [--pg name=value]
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var index = 0
        var sawCommand = false
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw BenchmarkError("\(arguments[index - 1]) needs a value\n\(usage)") }
            return arguments[index]
        }
        func integers(_ text: String) throws -> [Int] {
            let values = text.split(separator: ",").compactMap { Int($0) }
            guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else { throw BenchmarkError("not a list of positive numbers: \(text)") }
            return values
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "engine", "large", "many-small", "latency", "all":
                guard !sawCommand else { throw BenchmarkError("one scenario at a time\n\(usage)") }
                options.command = argument
                sawCommand = true
            case "--smoke": options.smoke = true
            case "--customers":
                // `many-small --customers 10` means customers per company, as in the issue.
                let list = try integers(try value())
                if options.command == "many-small" { options.customersPerCompany = list[0] } else { options.customers = list }
            case "--customers-per-company": options.customersPerCompany = try integers(try value())[0]
            case "--chunk-sizes", "--chunk-size": options.chunkSizes = try integers(try value()).map { $0 }
            case "--profile": options.profile = true
            case "--analyze-empty": options.statistics = [.analyzed]
            case "--statistics":
                let text = try value()
                guard let states = StatisticsState.parse(text) else {
                    throw BenchmarkError("--statistics takes analyzed, never-analyzed or both, not \(text)\n\(usage)")
                }
                options.statistics = states
            case "--companies": options.companies = try integers(try value())[0]
            case "--workers": options.workers = try integers(try value())
            case "--processes": ManySmallScenario.processCounts = try integers(try value())  // many-small: daemon processes side by side
            case "--jobs": options.jobs = try integers(try value())[0]
            case "--seed":
                guard let seed = UInt64(try value()) else { throw BenchmarkError("--seed needs a number") }
                options.seed = seed
            case "--pg":
                let setting = try value()
                guard let equals = setting.firstIndex(of: "=") else { throw BenchmarkError("--pg needs name=value") }
                options.serverSettings[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                throw BenchmarkError("unknown argument \(argument)\n\(usage)")
            }
            index += 1
        }
        return options
    }
}

func machineDescription() -> String {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = ProcessInfo.processInfo.physicalMemory
    var name = utsname()
    uname(&name)
    let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let cpu = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "machine: \(cores) cores (\(cpu)), \(Format.fixed(Double(memory) / 1_073_741_824, 1)) GiB memory, Linux \(release)"
}

func runBenchmarks(_ options: Options) throws {
    let started = ContinuousClock.now
    report("reimburse-bench \(options.command)\(options.smoke ? " --smoke" : ""), seed \(options.seed)")
    report(machineDescription())
    if options.command == "engine" || options.command == "all" {
        report("== engine")
        report(EngineBenchmark.run(customers: options.smoke ? 10_000 : 1_000_000, transactionsPerCustomer: 3, seed: options.seed))
    }
    guard options.command != "engine" else { return }

    let logFolder = NSTemporaryDirectory() + "reimburse-bench-logs-\(getpid())"
    try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true)
    let (bench, startSeconds) = try Stopwatch.time { try BenchCluster.start(extra: options.serverSettings) }
    defer {
        bench.destroy()
        report("cluster destroyed; daemon logs kept in \(logFolder)")
    }
    report("cluster started in \(Format.seconds(startSeconds))")
    for line in try bench.describe() { report(line) }
    let launcher = DaemonLauncher.find(logFolder: logFolder, login: BenchCluster.serviceLogin)
    report("daemon: \(launcher.kind), login \(BenchCluster.serviceLogin) (member of reimburse_service only)")
    let statistics = options.statistics ?? (options.smoke ? [.analyzed, .neverAnalyzed] : [.analyzed])
    // many-small and latency load in the first state too.
    DataGenerator.analyzeSQL = statistics[0].analyzeSQL

    if options.command == "large" || options.command == "all" {
        let sizes = options.customers ?? (options.smoke ? [1_000] : options.command == "all" ? [100_000, 1_000_000] : [1_000_000])
        var results: [LargeScenario.Result] = []
        for size in sizes {
            results += try LargeScenario(
                bench: bench, launcher: launcher, customers: size, chunkSizes: options.chunkSizes, seed: options.seed,
                profile: options.profile, statistics: statistics
            ).run()
        }
        report("== large summary")
        for result in results {
            report("  N=\(Format.grouped(result.customers)) [\(result.statistics.rawValue)] chunk "
                + "\(result.chunkSize.map(String.init) ?? "500"): daemon \(Format.seconds(result.wallSeconds)), "
                + "set-based SQL \(Format.seconds(result.setBasedSeconds)), COPY limit \(Format.seconds(result.copySeconds)); "
                + result.goalsLine + "; \(Format.grouped(Int(Double(result.customers) / result.wallSeconds))) customers/s, "
                + "daemon CPU \(Format.seconds(result.cpuSeconds))")
        }
    }
    if options.command == "many-small" || options.command == "all" {
        _ = try ManySmallScenario(
            bench: bench, launcher: launcher, companies: options.smoke ? 20 : options.companies,
            customers: options.smoke ? 5 : options.customersPerCompany,
            workers: options.smoke ? [1, 2] : options.workers, seed: options.seed, smoke: options.smoke, profile: options.profile
        ).run()
    }
    if options.command == "latency" || options.command == "all" {
        _ = try LatencyScenario(
            bench: bench, launcher: launcher, jobs: options.smoke ? 20 : options.jobs, seed: options.seed
        ).run()
    }
    report("total \(Format.seconds(Stopwatch.seconds(ContinuousClock.now - started)))")
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "daemon" {
    exit(await DaemonChild.run(Array(arguments.dropFirst())))
}
do {
    try runBenchmarks(try Options.parse(arguments))
} catch {
    FileHandle.standardError.write(Data("reimburse-bench: error: \(error)\n".utf8))
    exit(1)
}
