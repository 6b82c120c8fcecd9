import Foundation
import RosterProtocol
import RosterTestSupport
import Testing
import Yams

/// The container files are kept correct by reading them (no Docker engine runs in CI).
@Suite struct DeployFileTests {
    static func load(_ path: String) throws -> [String: Any] {
        let text = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    @Test func composeRunsEveryServiceWithImageEnvironmentAndHealthcheck() throws {
        let compose = try Self.load("docker-compose.yml")
        let services = try #require(compose["services"] as? [String: Any])
        for service in ServiceName.allCases {
            let entry = try #require(services[service.rawValue] as? [String: Any], "compose lacks \(service)")
            let build = try #require(entry["build"] as? [String: Any])
            #expect((build["args"] as? [String: Any])?["PRODUCT"] as? String == service.productName)
            #expect((entry["image"] as? String)?.hasPrefix("roster/\(service.rawValue)") == true)
            let environment = try #require(entry["environment"] as? [String: Any])
            let url = try #require(environment["ROSTER_DATABASE_URL"] as? String)
            #expect(url.hasPrefix("postgres://roster_\(service.rawValue):"), "each service connects as its own role")
            for key in ["ROSTER_SERVICE_SECRET", "ROSTER_HTTP_HOST", "ROSTER_HTTP_PORT", "ROSTER_USERS_URL", "ROSTER_AUDIENCE_URL"] {
                #expect(environment[key] != nil, "\(service) lacks \(key)")
            }
            let health = try #require(entry["healthcheck"] as? [String: Any])
            #expect((health["test"] as? [String])?.joined(separator: " ").contains("/health/ready") == true)
            #expect(((entry["depends_on"] as? [String: Any])?["postgres"] as? [String: Any])?["condition"] as? String == "service_healthy")
            #expect(entry["ports"] == nil, "services publish no host ports, so they can be scaled")
        }
        let postgres = try #require(services["postgres"] as? [String: Any])
        #expect(((postgres["healthcheck"] as? [String: Any])?["test"] as? [String])?.contains("pg_isready") == true)
        #expect((postgres["volumes"] as? [String])?.contains { $0.contains("bootstrap.sql") } == true)
        let gateway = try #require(services["gateway"] as? [String: Any])
        #expect((gateway["volumes"] as? [String])?.contains { $0.hasPrefix("./deploy/gateway/roster.conf.template") } == true)
        #expect(gateway["healthcheck"] != nil)
        let upstreams = try #require(gateway["environment"] as? [String: Any])
        for service in ServiceName.allCases {
            #expect(upstreams["ROSTER_\(service.rawValue.uppercased())_UPSTREAM"] as? String == "\(service.rawValue):8080")
        }
    }

    @Test func theDockerfileBuildsAnyProductAsNonRoot() throws {
        let text = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("FROM ") }.count == 2, "multi-stage")
        let resolve = try #require(lines.firstIndex { $0.contains("swift package resolve") })
        let sources = try #require(lines.firstIndex { $0.hasPrefix("COPY Shared") })
        #expect(resolve < sources, "dependencies resolve before sources are copied")
        #expect(text.contains("--product \"${PRODUCT}\"") && text.contains("--static-swift-stdlib"))
        #expect(text.contains("USER 10001") && text.contains("HEALTHCHECK"))
        #expect(text.contains(".resources"), "resource bundles (migrations, OpenAPI) are copied next to the binary")
    }

    @Test func theGatewayTemplateHasOnlyAddressPlaceholders() throws {
        let text = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/gateway/roster.conf.template"), encoding: .utf8)
        let placeholders = Set(text.matches(of: /\$\{([A-Z_]+)\}/).map { String($0.1) })
        #expect(
            placeholders == [
                "ROSTER_GATEWAY_LISTEN", "ROSTER_USERS_UPSTREAM", "ROSTER_AUDIENCE_UPSTREAM", "ROSTER_VERIFICATION_UPSTREAM",
                "ROSTER_NOTIFICATION_UPSTREAM",
            ])
    }
}
