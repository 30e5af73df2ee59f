// swift-tools-version: 6.1
import PackageDescription

// Every target builds in Swift 6 language mode (strict concurrency) with the upcoming features
// the Swift server ecosystem uses, so that a dependency's import never leaks into our public API.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "CustomerVault",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cvault", targets: ["cvault"]),
        .executable(name: "vault-bench", targets: ["vault-bench"]),
        .executable(name: "bare-server", targets: ["bare-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Already in the graph through Hummingbird; declared because their types are API there
        // (header types; the Service protocol of Application(services:)).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The only door to libcrypto: OpenSSL 3 as the OS ships and patches it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "VaultCrypto", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        // The byte formats hashes and signatures rest on: one JSON value with its one strict reader
        // and canonical writer, and civil-date arithmetic. No dependencies.
        .target(name: "VaultFormat", swiftSettings: swiftSettings),
        .target(
            name: "VaultPolicy",
            dependencies: ["VaultCrypto", "VaultFormat", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "VaultAudit", dependencies: ["VaultCrypto", "VaultFormat"], swiftSettings: swiftSettings),
        .target(
            name: "VaultAnalytics",
            dependencies: ["VaultCrypto", "VaultFormat"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The storage protocol, its rows and errors, backend-neutral; each backend is its own target
        // and the only importer of its driver.
        .target(name: "VaultStore", swiftSettings: swiftSettings),
        .target(
            name: "VaultSQLite",
            dependencies: ["VaultStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VaultPostgres",
            dependencies: ["VaultStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Vault",
            dependencies: [
                "VaultCrypto", "VaultFormat", "VaultPolicy", "VaultAudit", "VaultAnalytics", "VaultStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Resources/default.yaml")],
            swiftSettings: swiftSettings
        ),
        // The customer portal's pages: templates and the words customers read; no HTTP.
        .target(
            name: "VaultPortal",
            dependencies: ["Vault", "VaultAnalytics", "VaultAudit", "VaultPolicy", .product(name: "Mustache", package: "swift-mustache")],
            resources: [
                .embedInCode("Resources/layout.mustache"), .embedInCode("Resources/sign-in.mustache"), .embedInCode("Resources/code.mustache"),
                .embedInCode("Resources/link.mustache"), .embedInCode("Resources/message.mustache"), .embedInCode("Resources/profile.mustache"),
                .embedInCode("Resources/log.mustache"), .embedInCode("Resources/consents.mustache"), .embedInCode("Resources/contests.mustache"),
                .embedInCode("Resources/erase.mustache"), .embedInCode("Resources/erased.mustache"),
                .embedInCode("Resources/recommendations.mustache"), .embedInCode("Resources/portal.css"), .embedInCode("Resources/verify.js"),
                .embedInCode("Resources/icon.svg"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VaultHTTP",
            dependencies: [
                "Vault", "VaultAnalytics", "VaultFormat", "VaultPolicy", "VaultPortal", "VaultStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cvault",
            dependencies: [
                "Vault", "VaultAnalytics", "VaultHTTP", "VaultPolicy", "VaultStore", "VaultSQLite", "VaultPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vault-bench",
            // GRDB directly: the plain-SQLite baseline every figure is a ratio against lives here,
            // not in the product.
            dependencies: [
                "Vault", "VaultAnalytics", "VaultAudit", "VaultCrypto", "VaultPolicy", "VaultStore", "VaultSQLite", "VaultPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/vault-bench",
            swiftSettings: swiftSettings
        ),
        // The bare-stack baseline the HTTP benchmark divides by: Hummingbird and nothing of the vault.
        .executableTarget(
            name: "bare-server",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/bare-server",
            swiftSettings: swiftSettings
        ),

        // Test-only: where the tests' databases come from (a PostgreSQL server when CI starts one).
        // GRDB directly: the tampering tests' attacker opens the SQLite file with no vault code between;
        // the fault-injecting backend wraps the real SQLite one.
        .target(
            name: "VaultTestSupport",
            dependencies: ["VaultSQLite", "VaultStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaultCryptoTests",
            dependencies: ["VaultCrypto"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "VaultFormatTests", dependencies: ["VaultFormat"], swiftSettings: swiftSettings),
        .testTarget(name: "VaultPolicyTests", dependencies: ["VaultPolicy"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "VaultAuditTests",
            dependencies: ["VaultAudit", "VaultCrypto"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "VaultAnalyticsTests", dependencies: ["VaultAnalytics", "VaultCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VaultStoreTests",
            dependencies: ["VaultStore", "VaultSQLite", "VaultPostgres", "VaultTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "VaultSQLiteTests", dependencies: ["VaultSQLite", "VaultStore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VaultTests",
            dependencies: [
                "Vault", "VaultCrypto", "VaultFormat", "VaultPolicy", "VaultAudit", "VaultStore", "VaultSQLite", "VaultPostgres", "VaultTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaultHTTPTests",
            dependencies: [
                "VaultHTTP", "Vault", "VaultCrypto", "VaultPolicy", "VaultStore", "VaultSQLite", "VaultTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "cvaultTests", dependencies: ["cvault", "VaultTestSupport"], swiftSettings: swiftSettings),
    ]
)
