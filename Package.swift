// swift-tools-version: 6.2
import PackageDescription

/// Roster: four services (users, audience, verification, notification) on one shared runtime.
///
/// Layering (one way only): `Services/*` → `RosterRuntime` → `RosterProtocol`.
/// No service target depends on another service target; services meet over HTTP.
let package = Package(
    name: "roster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roster-users", targets: ["RosterUsers"]),
        .executable(name: "roster-audience", targets: ["RosterAudience"]),
        .executable(name: "roster-verification", targets: ["RosterVerification"]),
        .executable(name: "roster-notification", targets: ["RosterNotification"]),
        .executable(name: "roster-point-read-reference", targets: ["PointReadReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Types every service speaks: ids, problems, pagination, events, internal calls.
        .target(
            name: "RosterProtocol",
            path: "Shared/Protocol"
        ),
        // The service runtime: config, database, HTTP app, auth, outbox/inbox, jobs.
        .target(
            name: "RosterRuntime",
            dependencies: [
                "RosterProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            path: "Shared/Runtime",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "RosterUsers",
            dependencies: [
                "RosterRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            path: "Services/Users",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "RosterAudience",
            dependencies: [
                "RosterRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Audience",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "RosterVerification",
            dependencies: [
                "RosterRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Verification",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "RosterNotification",
            dependencies: [
                "RosterRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Services/Notification",
            resources: [.copy("Resources")]
        ),
        // Benchmarks/point-read.sh's yardstick: a minimal point-read service (never deployed).
        .executableTarget(
            name: "PointReadReference",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PointReadReference"
        ),
        // Test harness: a throwaway database per test, the real service binaries as processes.
        .target(
            name: "RosterTestSupport",
            dependencies: [
                "RosterRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/Support",
            // The SMTP and webhook receivers the tests start with Python.
            exclude: ["mail_sink.py", "webhook_sink.py"]
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: ["RosterRuntime", "RosterTestSupport"],
            path: "Tests/RuntimeTests"
        ),
        .testTarget(
            name: "PlatformTests",
            dependencies: [
                "RosterTestSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/PlatformTests"
        ),
    ]
)
