import AsyncHTTPClient
import Foundation
import NIOCore
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Process life: start-up with several replicas, operations endpoints, graceful drain.
@Suite(.serialized) struct LifecycleTests {
    @Test func sigtermLetsInFlightRequestsFinish() async throws {
        try await withPlatform([.users]) { platform in
            let users = platform.process(.users)
            let body = Data(#"{"email":"slow@example.com","firstName":"Slow"}"#.utf8)
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            var request = HTTPClientRequest(url: platform.url(.users) + "/api/v1/users")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(platform.apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .stream(stream, length: .known(Int64(body.count)))

            let inFlight = Task {
                let response = try await platform.http.execute(request, timeout: .seconds(30))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), String(buffer: bytes))
            }
            continuation.yield(ByteBuffer(bytes: body.prefix(10)))
            // The request head and a first part of the body have arrived; now stop the service.
            try await Task.sleep(for: .milliseconds(300))
            users.terminate()
            try await Task.sleep(for: .milliseconds(300))
            #expect(users.isRunning, "the process waits for the request in flight")
            let refused = try? await platform.http.execute(HTTPClientRequest(url: platform.url(.users) + "/health/live"), timeout: .seconds(2))
            #expect(refused == nil, "no new connections are accepted while draining")

            continuation.yield(ByteBuffer(bytes: body.dropFirst(10)))
            continuation.finish()
            let (status, text) = try await inFlight.value
            #expect(status == 201, "the in-flight request completed: \(text)")
            #expect(try await users.waitForExit(timeout: .seconds(15)) == 0)
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE email = 'slow@example.com'") == 1)
            #expect(users.log().contains("\"msg\":\"stopped\""))
        }
    }

    /// A replica whose database is gone still stops on SIGTERM: its workers keep retrying, the
    /// drain runs out and the rest is cancelled — cleanly, its last log lines written (the
    /// wake-up hub used to crash finishing its waiters under its own lock).
    @Test func aServiceWhoseDatabaseIsGoneStillStops() async throws {
        try await withPlatform([.users]) { platform in
            let replica = try await Self.secondReplica(of: platform, drainSeconds: 2, log: "users-orphan.log")
            let role = platform.database.role(.users)
            try platform.database.sql(
                "ALTER ROLE \(role) NOLOGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '\(role)'")
            defer { try? platform.database.sql("ALTER ROLE \(role) LOGIN") }
            try await Task.sleep(for: .seconds(1))
            replica.terminate()
            let status = try await replica.waitForExit(timeout: .seconds(20))
            #expect(!replica.log().contains("Fatal error"), "\(replica.log().suffix(1500))")
            #expect(replica.log().contains("stopped"), "its last lines are written: \(replica.log().suffix(800))")
            #expect(status == 0 || status == 1, "exit status \(status)")
        }
    }

    /// A replica stopped while it copies an import into PostgreSQL, its drain too short for the
    /// import to finish, leaves the copy and stops without crashing, having staged nothing
    /// (PostgresNIO traps when its pool closes a connection that is still copying).
    @Test func sigtermDuringAnImportCopyStopsCleanly() async throws {
        try await withPlatform([.users]) { platform in
            let replica = try await Self.secondReplica(of: platform, drainSeconds: 1, log: "users-importing.log")
            let port = replica.port

            let csv = "email,firstName\n" + (1...40_000).map { "stop\($0)@example.io,Stop\n" }.joined()
            let upload = Task {
                try? await platform.request(
                    .POST, "http://127.0.0.1:\(port)/api/v1/users/import", body: Data(csv.utf8), headers: [("Content-Type", "text/csv")],
                    timeout: .seconds(120))
            }
            let copying = try await eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                try platform.database.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY%user_import_rows%'") > 0
            }
            #expect(copying, "the import's COPY started")
            replica.terminate()
            let status = try await replica.waitForExit(timeout: .seconds(30))
            _ = await upload.value
            #expect(!replica.log().contains("Fatal error"), "\(replica.log().suffix(1500))")
            #expect(!replica.log().contains("unhandled error"), "the cut-off request is a 503, not a 500")
            #expect(replica.log().contains("\"http.path\":\"/api/v1/users/import\",\"http.status\":\"503\""))
            #expect(replica.log().contains("\"msg\":\"stopped\""), "\(replica.log().suffix(800))")
            #expect(status == 0 || status == 1, "exit status \(status)")
            #expect(try platform.database.count("SELECT count(*) FROM users.user_imports") == 0, "nothing staged")
            #expect(try platform.database.count("SELECT count(*) FROM users.user_import_rows") == 0)
        }
    }

    /// A replica that cannot listen (its port is taken) stops with an error instead of living
    /// on with its workers spinning.
    @Test func aServiceThatCannotListenExits() async throws {
        try await withPlatform([.users, .audience]) { platform in
            var environment = platform.process(.audience).environment
            environment["ROSTER_HTTP_PORT"] = "\(platform.process(.users).port)"
            let clash = ServiceProcess(
                service: .audience, port: platform.process(.users).port,
                logFile: platform.directory.appendingPathComponent("audience-clash.log"), environment: environment)
            try clash.start()
            let status = try await clash.waitForExit(timeout: .seconds(20))
            #expect(status != 0, "\(clash.log().suffix(500))")
        }
    }

    @Test func replicasStartingTogetherMigrateAndBootstrapOnce() async throws {
        try await withPlatform([]) { platform in
            let first = platform.process(.users)
            var replicas: [ServiceProcess] = []
            for index in 0..<3 {
                var environment = first.environment
                let port = try Shell.freePort()
                environment["ROSTER_HTTP_PORT"] = "\(port)"
                environment["ROSTER_BOOTSTRAP_API_KEY"] = nil
                replicas.append(
                    ServiceProcess(
                        service: .users, port: port, logFile: platform.directory.appendingPathComponent("users-\(index).log"),
                        environment: environment))
            }
            for replica in replicas { try replica.start() }
            for replica in replicas { try await replica.waitUntilReady(http: platform.http) }
            let migrations = try platform.database.count("SELECT count(*) FROM users.schema_migrations")
            #expect(migrations == (try platform.database.count("SELECT count(DISTINCT id) FROM users.schema_migrations")))
            #expect(migrations >= 7)
            #expect(try platform.database.count("SELECT count(*) FROM users.applications") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.api_keys") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.signing_keys") == 1)
            let banners = replicas.map { $0.log().contains("admin API key") ? 1 : 0 }.reduce(0, +)
            #expect(banners == 1, "exactly one replica created and printed the key")
            for replica in replicas { try await replica.stop() }
        }
    }

    @Test func operationsEndpointsAndRequestIDs() async throws {
        try await withPlatform([.users, .verification]) { platform in
            for service in [ServiceName.users, .verification] {
                let base = platform.url(service)
                let live = try await platform.request(.GET, base + "/health/live", authorized: false)
                #expect(live.status == 200 && live.json["status"] as? String == "ok")
                let ready = try await platform.request(.GET, base + "/health/ready", authorized: false)
                #expect(ready.status == 200 && ready.json["status"] as? String == "ready")
                let document = try await platform.request(.GET, base + "/openapi.json", authorized: false)
                #expect((document.json["paths"] as? [String: Any])?["/health/ready"] != nil)
                #expect(((document.json["components"] as? [String: Any])?["schemas"] as? [String: Any])?["Problem"] != nil)
            }
            _ = try await platform.request(.GET, platform.url(.users) + "/api/v1/users")
            let metrics = try await platform.request(.GET, platform.url(.users) + "/metrics", authorized: false)
            #expect(metrics.status == 200 && metrics.text.contains("hb_requests"))

            let echoed = try await platform.request(.GET, platform.url(.users) + "/api/v1/users", headers: [("X-Request-Id", "abc-123")])
            #expect(echoed.header("X-Request-Id") == "abc-123")
            let replaced = try await platform.request(.GET, platform.url(.users) + "/api/v1/users", headers: [("X-Request-Id", "bad id!")])
            #expect(replaced.header("X-Request-Id") != "bad id!" && (replaced.header("X-Request-Id") ?? "").count == 32)
            let problem = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/\(EntityID.generate())", headers: [("X-Request-Id", "req-404")])
            #expect(problem.isProblem(404) && problem.json["requestId"] as? String == "req-404")
            let lines = platform.process(.users).log().split(separator: "\n").filter { $0.contains("abc-123") }
            #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("{") })
            #expect(!platform.process(.users).log().contains(platform.apiKey), "the API key is never logged")
            #expect(!platform.process(.users).log().contains(platform.serviceSecret), "the service secret is never logged")
        }
    }

    /// Another users process on the platform's database, ready, with its own drain.
    private static func secondReplica(of platform: TestPlatform, drainSeconds: Int, log: String) async throws -> ServiceProcess {
        var environment = platform.process(.users).environment
        let port = try Shell.freePort()
        environment["ROSTER_HTTP_PORT"] = "\(port)"
        environment["ROSTER_BOOTSTRAP_API_KEY"] = nil
        environment["ROSTER_SERVICE_DRAIN_SECONDS"] = "\(drainSeconds)"
        let replica = ServiceProcess(service: .users, port: port, logFile: platform.directory.appendingPathComponent(log), environment: environment)
        try replica.start()
        try await replica.waitUntilReady(http: platform.http)
        return replica
    }
}
