import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RosterProtocol
import RosterRuntime

/// A whole Roster for one test: a fresh database, the real service binaries on free ports,
/// and optionally the real nginx gateway in front of them.
public final class TestPlatform: @unchecked Sendable {
    public let database: TestDatabase
    public let directory: URL
    /// The admin API key of the default application (given to users as its bootstrap key).
    public let apiKey: String
    public let serviceSecret: String
    public let http: HTTPClient
    public private(set) var processes: [ServiceName: ServiceProcess] = [:]
    public private(set) var gatewayPort: Int?
    private var gateway: Process?

    init(database: TestDatabase, directory: URL, environment: [String: String]) throws {
        self.database = database
        self.directory = directory
        self.apiKey = "rk_\(Shell.randomText(8))_\(Shell.randomText(32))"
        self.serviceSecret = Shell.randomText(48)
        self.http = HTTPClient(eventLoopGroupProvider: .singleton)
        var ports: [ServiceName: Int] = [:]
        for service in ServiceName.allCases { ports[service] = try Shell.freePort() }
        var common = [
            "ROSTER_SERVICE_SECRET": self.serviceSecret,
            "ROSTER_LOG_LEVEL": "info",
            "ROSTER_SERVICE_DRAIN_SECONDS": "10",
            "ROSTER_BOOTSTRAP_API_KEY": self.apiKey,
            "ROSTER_ENCRYPTION_KEYS": "k1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
        ]
        for service in ServiceName.allCases {
            common["ROSTER_\(service.rawValue.uppercased())_URL"] = "http://127.0.0.1:\(ports[service]!)"
        }
        common.merge(environment) { _, new in new }
        for service in ServiceName.allCases {
            var variables = common
            variables["ROSTER_HTTP_PORT"] = "\(ports[service]!)"
            variables["ROSTER_DATABASE_URL"] = database.url(for: service)
            self.processes[service] = ServiceProcess(
                service: service, port: ports[service]!, logFile: directory.appendingPathComponent("\(service.rawValue).log"),
                environment: variables)
        }
    }

    /// Creates the database, starts `services` (waiting until each is ready) and the gateway if asked.
    public static func start(
        _ services: [ServiceName] = ServiceName.allCases, gateway: Bool = false, environment: [String: String] = [:]
    ) async throws -> TestPlatform {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roster-test-\(Shell.randomText(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try TestDatabase.create()
        let platform = try TestPlatform(database: database, directory: directory, environment: environment)
        do {
            for service in services {
                try await platform.process(service).startAndWait(http: platform.http)
            }
            if gateway { try await platform.startGateway() }
        } catch {
            await platform.shutdown()
            throw error
        }
        return platform
    }

    public func process(_ service: ServiceName) -> ServiceProcess { self.processes[service]! }

    /// Base URL of a service itself (not through the gateway).
    public func url(_ service: ServiceName) -> String { "http://127.0.0.1:\(self.process(service).port)" }

    public var gatewayURL: String { "http://127.0.0.1:\(self.gatewayPort ?? 0)" }

    /// Renders the shared gateway template for this platform's ports and starts nginx.
    public func startGateway() async throws {
        let port = try Shell.freePort()
        let out = self.directory.appendingPathComponent("gateway")
        let upstreams = ServiceName.allCases.map { "127.0.0.1:\(self.process($0).port)" }
        try Shell.run(
            ["bash", "-c", "source \"$0/deploy/local/lib.sh\" && render_gateway \"$@\"", TestEnvironment.repositoryRoot.path, out.path,
             "127.0.0.1:\(port)"] + upstreams)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/usr/sbin/nginx") ? "/usr/sbin/nginx" : "/usr/bin/nginx")
        nginx.arguments = ["-p", out.path, "-c", out.appendingPathComponent("nginx.conf").path]
        let log = self.gatewayLogFile
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        nginx.standardOutput = handle
        nginx.standardError = handle
        try nginx.run()
        self.gateway = nginx
        self.gatewayPort = port
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let response = try? await self.http.execute(HTTPClientRequest(url: "\(self.gatewayURL)/healthz"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            guard nginx.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("the gateway did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// Where the gateway's output goes.
    private var gatewayLogFile: URL { self.directory.appendingPathComponent("gateway/stdout.log") }

    /// What the gateway wrote so far: its JSON access log lines and its errors.
    public func gatewayLog() -> String {
        (try? String(contentsOf: self.gatewayLogFile, encoding: .utf8)) ?? ""
    }

    /// Stops every process, drops the database and removes the folder.
    public func shutdown() async {
        if let gateway, gateway.isRunning {
            gateway.terminate()
            gateway.waitUntilExit()
        }
        for process in self.processes.values where process.isRunning {
            process.terminate()
            _ = try? await process.waitForExit(timeout: .seconds(15))
            if process.isRunning {
                process.kill()
                _ = try? await process.waitForExit(timeout: .seconds(5))
            }
        }
        try? await self.http.shutdown()
        self.database.drop()
        if ProcessInfo.processInfo.environment["ROSTER_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(at: self.directory)
        }
    }

    /// Sends a request; `json` is encoded as the body, and the API key is sent unless `authorized` is false.
    public func request(
        _ method: HTTPMethod, _ url: String, json: (any Encodable)? = nil, body: Data? = nil, headers: [(String, String)] = [],
        authorized: Bool = true, timeout: Duration = .seconds(30)
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if authorized { request.headers.add(name: "Authorization", value: "Bearer \(self.apiKey)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try RosterJSON.makeEncoder().encode(json)))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await self.http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }
}

/// Runs `body` with a started platform and always shuts it down afterwards.
public func withPlatform<T: Sendable>(
    _ services: [ServiceName] = ServiceName.allCases, gateway: Bool = false, environment: [String: String] = [:],
    _ body: (TestPlatform) async throws -> T
) async throws -> T {
    let platform = try await TestPlatform.start(services, gateway: gateway, environment: environment)
    do {
        let result = try await body(platform)
        await platform.shutdown()
        return result
    } catch {
        await platform.shutdown()
        throw error
    }
}

/// A response as tests look at it.
public struct HTTPResult: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as a JSON object (empty when it is not one).
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: self.body)) as? [String: Any] ?? [:]
    }

    /// The body as a JSON array (empty when it is not one).
    public var jsonArray: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: self.body)) as? [[String: Any]] ?? []
    }

    public var text: String { String(decoding: self.body, as: UTF8.self) }

    public func header(_ name: String) -> String? { self.headers.first(name: name) }

    /// Decodes the body with Roster's JSON rules.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try RosterJSON.makeDecoder().decode(T.self, from: self.body)
    }

    /// Whether this is a problem+json response with the given status.
    public func isProblem(_ status: Int) -> Bool {
        self.status == status && (self.header("Content-Type") ?? "").hasPrefix("application/problem+json")
            && self.json["status"] as? Int == status && self.json["detail"] is String
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool)
    async rethrows -> Bool
{
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
