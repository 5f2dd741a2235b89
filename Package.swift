// swift-tools-version:6.2
// 6.2 because the relay (Hummingbird 2.28) requires it; the core modules need nothing newer than 6.0.
import PackageDescription

let package = Package(
    name: "isr",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "isr", targets: ["isr"]),
        .executable(name: "isr-relay", targets: ["isr-relay"]),
        .executable(name: "isr-bench", targets: ["isr-bench"]),
        .library(name: "ISRCrypto", targets: ["ISRCrypto"]),
        .library(name: "ISRPacket", targets: ["ISRPacket"]),
        .library(name: "ISRPolicy", targets: ["ISRPolicy"]),
        .library(name: "ISRLifecycle", targets: ["ISRLifecycle"]),
        .library(name: "ISRAudit", targets: ["ISRAudit"]),
        .library(name: "ISRPKI", targets: ["ISRPKI"]),
        .library(name: "ISRStore", targets: ["ISRStore"]),
        .library(name: "ISRStorePostgres", targets: ["ISRStorePostgres"]),
        .library(name: "ISRRelay", targets: ["ISRRelay"]),
        .library(name: "ISRClient", targets: ["ISRClient"]),
        .library(name: "ISRRelayAPI", targets: ["ISRRelayAPI"]),
        .library(name: "ISRWeb", targets: ["ISRWeb"]),
        .library(name: "ISRRecord", targets: ["ISRRecord"]),
    ],
    dependencies: [
        // DER: a canonical, strictly parsed encoding for packets (and X.509 later, via swift-certificates).
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // TOML: the purpose policy is data an admin edits.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // X.509 for the deployment CA, the relay's TLS certificate and members' client certificates.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // SQLite for the embedded relay store: WAL, migrations, one writer.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // PostgreSQL for several relay instances on one store (scale-out and high availability): the maintained Swift
        // client of the wire protocol, over the SwiftNIO already in the graph.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The relay's HTTPS server: Hummingbird 2 over SwiftNIO with swift-nio-ssl for mutual TLS 1.3,
        // and swift-service-lifecycle for graceful shutdown on SIGTERM/SIGINT.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // HTTP parts as swift-http-types values in the relay's own channel handler (the request-head deadline); already in
        // the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // /metrics: swift-metrics for instrumentation (also what Hummingbird's MetricsMiddleware uses),
        // swift-prometheus as its backend and exposition format.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The CLI: argument parsing, and an HTTPS client that presents the practitioner's certificate.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // isr ui: server-rendered HTML templates (logic-less, HTML-escaped by default) for the practitioners' web app.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // isr-bench: latency percentiles without storing every sample (HdrHistogram).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // libsodium, the only source of cryptographic primitives. Only ISRCrypto imports it.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(name: "ISRCrypto", dependencies: ["CSodium", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "ISRPacket",
            dependencies: ["ISRCrypto", .product(name: "SwiftASN1", package: "swift-asn1")]
        ),
        .target(
            name: "ISRPolicy",
            dependencies: ["ISRPacket", "ISRLifecycle", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // The packet lifecycle as a pure value: per-recipient states, who may answer what, phases, deadlines.
        .target(name: "ISRLifecycle", dependencies: ["ISRPacket"]),
        // The tamper-evident record: RFC 6962/9162 Merkle log, proofs, signed checkpoints, audit events.
        .target(
            name: "ISRAudit",
            dependencies: ["ISRCrypto", .product(name: "SwiftASN1", package: "swift-asn1")]
        ),
        // The deployment PKI: CA, relay server certificate, member client certificates issued from CSRs.
        .target(
            name: "ISRPKI",
            dependencies: [
                "ISRCrypto", "ISRPacket",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The relay's storage protocol and its SQLite implementation.
        .target(
            name: "ISRStore",
            dependencies: ["ISRPacket", "ISRLifecycle", "ISRAudit", "ISRCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The relay's PostgreSQL store: the same operations as SQLite over postgres-nio, for several relay instances.
        .target(
            name: "ISRStorePostgres",
            dependencies: [
                "ISRStore", "ISRAudit", "ISRPacket",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The relay API's JSON bodies, shared by the relay and its clients.
        .target(name: "ISRRelayAPI"),
        // The relay daemon as a library: configuration, mTLS server, routes, lifecycle rules, escalation.
        .target(
            name: "ISRRelay",
            dependencies: [
                "ISRCrypto", "ISRPacket", "ISRPolicy", "ISRLifecycle", "ISRAudit", "ISRPKI", "ISRStore", "ISRStorePostgres", "ISRRelayAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Alerts: webhooks to agencies' HTTPS URLs (the client the CLI already uses).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        // The record: case chronologies, evidence bundles (canonical tar, signed manifest, report) and their offline verifier.
        .target(name: "ISRRecord", dependencies: ["ISRCrypto", "ISRPacket", "ISRPKI", "ISRAudit", "ISRRelayAPI"]),
        // What the CLI stands on: the practitioner's home (keys, certificate, pinned admin key) and the mTLS relay client.
        .target(
            name: "ISRClient",
            dependencies: [
                "ISRCrypto", "ISRPacket", "ISRPolicy", "ISRLifecycle", "ISRPKI", "ISRAudit", "ISRRelayAPI", "ISRRecord",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // The practitioners' web app (`isr ui`): a loopback-only Hummingbird server over the same ISRClient session.
        .target(
            name: "ISRWeb",
            dependencies: [
                "ISRClient", "ISRRecord", "ISRCrypto", "ISRPacket", "ISRPolicy", "ISRLifecycle", "ISRPKI", "ISRRelayAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates"), .copy("Static")]
        ),
        .executableTarget(
            name: "isr",
            dependencies: [
                "ISRClient", "ISRWeb", "ISRRecord", "ISRCrypto", "ISRPacket", "ISRPolicy", "ISRLifecycle", "ISRPKI", "ISRRelayAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .executableTarget(name: "isr-relay", dependencies: ["ISRRelay", "ISRPacket", .product(name: "Logging", package: "swift-log")]),
        // The benchmark as a library: throw-away deployment, synthetic members, real mTLS load, phases, report.
        .target(
            name: "ISRBench",
            dependencies: [
                "ISRClient", "ISRCrypto", "ISRPacket", "ISRPKI", "ISRPolicy", "ISRRelayAPI", "ISRStore", "ISRStorePostgres", "ISRAudit",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .executableTarget(
            name: "isr-bench",
            dependencies: ["ISRBench", "isr-relay", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // What tests share: the trait that moves tests which block threads off Swift's cooperative pool, and the test
        // process's PostgreSQL cluster.
        .target(name: "ISRTestSupport", dependencies: ["ISRStorePostgres"], path: "Tests/ISRTestSupport"),
        .testTarget(name: "ISRCryptoTests", dependencies: ["ISRCrypto"]),
        .testTarget(
            name: "ISRPacketTests",
            dependencies: ["ISRPacket", "ISRCrypto", "ISRTestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            exclude: ["Vectors"]
        ),
        .testTarget(name: "ISRPolicyTests", dependencies: ["ISRPolicy", "ISRLifecycle", "ISRPacket"]),
        .testTarget(name: "ISRLifecycleTests", dependencies: ["ISRLifecycle", "ISRPacket"]),
        .testTarget(name: "ISRAuditTests", dependencies: ["ISRAudit", "ISRCrypto"]),
        .testTarget(name: "ISRStoreTests", dependencies: ["ISRTestSupport", "ISRStore", "ISRStorePostgres", "ISRLifecycle", "ISRAudit", "ISRPacket", "ISRCrypto"]),
        .testTarget(
            name: "ISRRelayTests",
            dependencies: [
                "ISRTestSupport", "ISRRelay", "ISRRelayAPI", "ISRStore", "ISRLifecycle", "ISRAudit", "ISRPacket", "ISRCrypto", "ISRPKI", "ISRPolicy",
                // The end-to-end tests run the real daemon; depending on it makes `swift test` build it.
                "isr-relay",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Alerts", "Connections", "Fuzz"]
        ),
        .testTarget(
            name: "ISRPKITests",
            dependencies: ["ISRPKI", "ISRPacket", "ISRCrypto", "ISRTestSupport", .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "ISRClientTests", dependencies: ["ISRClient", "ISRCrypto", "ISRPacket", "ISRPKI"]),
        .testTarget(name: "ISRWebTests", dependencies: ["ISRWeb"]),
        .testTarget(name: "ISRRecordTests", dependencies: ["ISRTestSupport", "ISRRecord", "ISRPacket", "ISRCrypto", "ISRPKI", "ISRAudit", "ISRRelayAPI"]),
        // Runs the real executables; depending on them makes `swift test` build them first.
        .testTarget(name: "ExecutableTests", dependencies: ["ISRTestSupport", "isr", "isr-relay", "isr-bench", "ISRCrypto", "ISRPacket", "ISRRecord", "ISRStorePostgres"]),
    ]
)
