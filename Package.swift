// swift-tools-version:6.1
import PackageDescription

/// Benchmarks build only when asked (`REIMBURSE_BENCHMARKS=1 swift build -c release`),
/// so everyday builds and CI's test build do not pay for them.
let benchmarksEnabled = Context.environment["REIMBURSE_BENCHMARKS"] == "1"

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

var products: [Product] = [
    .executable(name: "reimburse", targets: ["reimburse"]),
    .library(name: "Postgres", targets: ["Postgres"]),
    .library(name: "LocalPostgres", targets: ["LocalPostgres"]),
    .library(name: "ReimburseEngine", targets: ["ReimburseEngine"]),
    .library(name: "ReimburseStore", targets: ["ReimburseStore"]),
    .library(name: "ReimburseDaemon", targets: ["ReimburseDaemon"]),
    .library(name: "ReimburseMetrics", targets: ["ReimburseMetrics"]),
    .library(name: "ReimburseTestSupport", targets: ["ReimburseTestSupport"]),
]

var targets: [Target] = [
    // Layer 1: the C library, found by pkg-config when present, by the shim header otherwise.
    .systemLibrary(
        name: "CLibPQ",
        pkgConfig: "libpq",
        providers: [.apt(["libpq-dev"])]
    ),
    // Layer 2: the safe libpq wrapper.
    .target(
        name: "Postgres",
        dependencies: ["CLibPQ"],
        swiftSettings: strictSwift
    ),
    // A throwaway PostgreSQL cluster, shared by the tests, the demo and the benchmarks.
    .target(
        name: "LocalPostgres",
        dependencies: ["Postgres"],
        swiftSettings: strictSwift
    ),
    // Layer 3: pure rules, no I/O.
    .target(
        name: "ReimburseEngine",
        swiftSettings: strictSwift
    ),
    // Pure too: ISO 20022 pain.001 payment documents (section 9), no I/O.
    .target(
        name: "PaymentDocument",
        dependencies: ["ReimburseEngine"],
        swiftSettings: strictSwift
    ),
    // Layer 4: loads chunks of customers and posts plans.
    .target(
        name: "ReimburseStore",
        dependencies: [
            "Postgres",
            "ReimburseEngine",
            "PaymentDocument",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),
    // Layer 5: the queue and the daemon.
    .target(
        name: "ReimburseDaemon",
        dependencies: [
            "Postgres",
            "ReimburseStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strictSwift
    ),
    // Beside layer 5: /metrics for Prometheus (PRODUCT.md section 10). FlyingFox has no
    // dependencies of its own (no SwiftNIO): a small HTTP server that adds seconds, not minutes,
    // to a clean build.
    .target(
        name: "ReimburseMetrics",
        dependencies: [
            "Postgres",
            "ReimburseDaemon",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strictSwift
    ),
    // Layer 6: the command line.
    .executableTarget(
        name: "reimburse",
        dependencies: [
            "Postgres",
            "LocalPostgres",
            "ReimburseEngine",
            "ReimburseStore",
            "ReimburseDaemon",
            "ReimburseMetrics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: strictSwift
    ),
    .target(
        name: "ReimburseTestSupport",
        dependencies: ["Postgres", "LocalPostgres", "ReimburseStore"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "PostgresTests",
        dependencies: ["Postgres", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "ReimburseEngineTests",
        dependencies: ["ReimburseEngine"],
        swiftSettings: strictSwift
    ),
    // The payment document writer, checked by independent tools (a Python venv made by
    // scripts/test: sepaxml's ISO 20022 schemas, xmlschema, schwifty).
    .testTarget(
        name: "PaymentDocumentTests",
        dependencies: ["PaymentDocument", "ReimburseEngine", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "ReimburseSchemaTests",
        dependencies: ["Postgres", "ReimburseStore", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "ReimburseStoreTests",
        dependencies: ["Postgres", "ReimburseEngine", "ReimburseStore", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "ReimburseDaemonTests",
        dependencies: ["Postgres", "ReimburseStore", "ReimburseDaemon", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    // Drives the real `reimburse` binary as separate processes: kill -9, restarts, many daemons.
    .testTarget(
        name: "ReimburseReliabilityTests",
        dependencies: ["Postgres", "LocalPostgres", "ReimburseStore", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "ReimburseCLITests",
        dependencies: ["Postgres", "LocalPostgres", "ReimburseTestSupport"],
        swiftSettings: strictSwift
    ),
]

if benchmarksEnabled {
    products.append(.executable(name: "reimburse-bench", targets: ["ReimburseBenchmarks"]))
    targets.append(
        .executableTarget(
            name: "ReimburseBenchmarks",
            dependencies: [
                "Postgres", "LocalPostgres", "ReimburseEngine", "ReimburseStore", "ReimburseDaemon",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        )
    )
}

let package = Package(
    name: "reimburse",
    platforms: [.macOS(.v15)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: targets
)
