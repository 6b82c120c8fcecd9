import Foundation
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// The nginx gateway in front of the real services.
@Suite(.serialized) struct GatewayTests {
    @Test func theGatewayRoutesAndGuards() async throws {
        try await withPlatform(gateway: true) { platform in
            let gateway = platform.gatewayURL

            // A user created through the gateway is in audience's projection within a second.
            let created = try await platform.request(.POST, "\(gateway)/api/v1/users", json: ["email": "via@gateway.io"])
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? String)
            let start = ContinuousClock.now
            let projected = try await eventually(timeout: .seconds(1), every: .milliseconds(20)) {
                try await platform.request(.GET, "\(gateway)/api/v1/audience/users/\(id)").status == 200
            }
            #expect(projected, "projected within one second (took \(ContinuousClock.now - start))")

            // Internal routes are refused, even with a valid service token.
            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .audience).token()
            let refused = try await platform.request(
                .GET, "\(gateway)/internal/v1/ping", headers: [("Authorization", "Bearer \(token)")], authorized: false)
            #expect(refused.isProblem(403))
            #expect(try await platform.request(.POST, "\(gateway)/internal/v1/events", json: ["events": [String]()]).isProblem(403))

            // No credentials: 401 problem from the service behind the gateway.
            #expect(try await platform.request(.GET, "\(gateway)/api/v1/users", authorized: false).isProblem(401))
            // Unknown paths: a 404 problem from the gateway itself.
            #expect(try await platform.request(.GET, "\(gateway)/nowhere").isProblem(404))

            // Request ids: kept when sent, made when not, echoed once, in the service's log.
            let tagged = try await platform.request(.GET, "\(gateway)/api/v1/users", headers: [("X-Request-Id", "trace-me-42")])
            #expect(tagged.headers["X-Request-Id"] == ["trace-me-42"])
            #expect(platform.process(.users).log().contains("\"request_id\":\"trace-me-42\""))
            // The gateway's access log line for it, with the duration in whole milliseconds as the services log it.
            // (nginx writes it once the response is out, so it may come a moment after.)
            _ = try await eventually(timeout: .seconds(2), every: .milliseconds(20)) { platform.gatewayLog().contains("trace-me-42") }
            let line = platform.gatewayLog().split(separator: "\n").first { $0.contains("\"request_id\":\"trace-me-42\"") }
            #expect(line?.contains(/"duration_ms":(0|[1-9][0-9]*),/) == true, "\(line ?? "no gateway log line")")
            let untagged = try await platform.request(.GET, "\(gateway)/api/v1/users")
            #expect((untagged.header("X-Request-Id") ?? "").count >= 16)

            // CORS: preflight answered, list headers exposed.
            let preflight = try await platform.request(
                .OPTIONS, "\(gateway)/api/v1/users", headers: [("Origin", "https://admin.example"), ("Access-Control-Request-Method", "POST")],
                authorized: false)
            #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(untagged.header("Access-Control-Expose-Headers")?.contains("X-Total-Count") == true)

            // Sub-path exceptions reach the service that owns them.
            let expectations: [(String, ServiceName)] = [
                ("/api/v1/users/\(id)/attributes", .audience), ("/api/v1/users/\(id)/groups", .audience), ("/api/v1/users/\(id)/tags", .audience),
                ("/api/v1/me/attributes", .audience), ("/api/v1/users/\(id)/notification-settings", .notification),
                ("/api/v1/me/notifications", .notification), ("/api/v1/me/notification-settings", .notification),
                ("/api/v1/users-stats", .users), ("/api/v1/me", .users), ("/api/v1/auth/login", .users), ("/api/v1/api-keys", .users),
                ("/api/v1/tags", .audience), ("/api/v1/groups/x", .audience), ("/api/v1/segments", .audience),
                ("/api/v1/attribute-definitions", .audience), ("/api/v1/verification-requests", .verification),
                ("/api/v1/verification-request-types", .verification), ("/api/v1/broadcasts", .notification),
                ("/api/v1/notification-types", .notification), ("/api/v1/templates", .notification), ("/api/v1/notifications", .notification),
                // Uploads, which wait longer for their answer.
                ("/api/v1/users/import", .users), ("/api/v1/user-attributes", .audience), ("/api/v1/groups/import", .audience),
                ("/api/v1/groups/x/import", .audience),
            ]
            // (A service writes its log lines on a thread of their own, so a line may come a moment after the answer.)
            for (path, owner) in expectations {
                _ = try await platform.request(.GET, gateway + path)
                let reached = try await eventually(timeout: .seconds(2), every: .milliseconds(20)) {
                    platform.process(owner).log().contains("\"http.path\":\"\(path)\"")
                }
                #expect(reached, "\(path) → \(owner)")
            }
            for service in ServiceName.allCases {
                let document = try await platform.request(.GET, "\(gateway)/openapi/\(service.rawValue).json", authorized: false)
                #expect(document.status == 200 && document.json["openapi"] as? String == "3.1.0")
            }
            let jwks = try await platform.request(.GET, "\(gateway)/.well-known/jwks.json", authorized: false)
            #expect((jwks.json["keys"] as? [Any])?.count == 1)
        }
    }
}
