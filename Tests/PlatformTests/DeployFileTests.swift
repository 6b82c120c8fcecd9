import Foundation
import RosterProtocol
import RosterRuntime
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

    /// Every document of a multi-document YAML file.
    static func loadAll(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        return try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
    }

    /// The document of `kind` in `documents`.
    static func document(_ kind: String, in documents: [[String: Any]], _ path: String) throws -> [String: Any] {
        try #require(documents.first { $0["kind"] as? String == kind }, "\(path) has no \(kind)")
    }

    /// A Deployment's pod spec and its only container.
    static func pod(of deployment: [String: Any]) throws -> (spec: [String: Any], container: [String: Any], labels: [String: String]) {
        let template = try #require((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])
        let spec = try #require(template["spec"] as? [String: Any])
        let containers = try #require(spec["containers"] as? [[String: Any]])
        #expect(containers.count == 1)
        let labels = try #require((template["metadata"] as? [String: Any])?["labels"] as? [String: String])
        return (spec, try #require(containers.first), labels)
    }

    /// What every Deployment of the platform must have: probes, resources, a locked-down
    /// security context, a grace period above the drain, and a Service, an autoscaler and a
    /// disruption budget that point at it.
    static func checkWorkload(_ path: String, name: String, readiness: String, liveness: String) throws -> [String: Any] {
        let documents = try Self.loadAll(path)
        let deployment = try Self.document("Deployment", in: documents, path)
        let (spec, container, labels) = try Self.pod(of: deployment)
        func probePath(_ key: String) -> String? { ((container[key] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String }
        #expect(probePath("readinessProbe") == readiness, "\(path): readiness probe")
        #expect(probePath("livenessProbe") == liveness, "\(path): liveness probe")
        let resources = try #require(container["resources"] as? [String: Any], "\(path): resources")
        #expect((resources["requests"] as? [String: Any])?.keys.sorted() == ["cpu", "memory"], "\(path): cpu and memory requests")
        #expect((resources["limits"] as? [String: Any])?["memory"] != nil, "\(path): a memory limit")
        #expect((spec["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true, "\(path): non-root")
        let security = try #require(container["securityContext"] as? [String: Any], "\(path): container security context")
        #expect(security["readOnlyRootFilesystem"] as? Bool == true, "\(path): read-only root filesystem")
        #expect(security["allowPrivilegeEscalation"] as? Bool == false, "\(path): no privilege escalation")
        #expect(((security["capabilities"] as? [String: Any])?["drop"] as? [String]) == ["ALL"], "\(path): capabilities dropped")
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        #expect(mounts.contains("/tmp"), "\(path): a writable /tmp under the read-only root")
        let preStop = ((((container["lifecycle"] as? [String: Any])?["preStop"] as? [String: Any])?["exec"] as? [String: Any])?["command"]
            as? [String]).flatMap { $0.last }.flatMap(Int.init) ?? 0
        let drain = Int(Setting.drainSeconds.defaultValue ?? "") ?? 0
        let grace = try #require(spec["terminationGracePeriodSeconds"] as? Int, "\(path): terminationGracePeriodSeconds")
        #expect(grace > preStop + drain, "\(path): the grace period (\(grace) s) must outlast preStop and the drain")

        let service = try Self.document("Service", in: documents, path)
        let selector = try #require((service["spec"] as? [String: Any])?["selector"] as? [String: String])
        #expect(!selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }, "\(path): the Service selects the pods")
        let autoscaler = try Self.document("HorizontalPodAutoscaler", in: documents, path)
        let autoscalerSpec = try #require(autoscaler["spec"] as? [String: Any])
        #expect((autoscalerSpec["scaleTargetRef"] as? [String: Any])?["name"] as? String == name, "\(path): the autoscaler scales it")
        #expect((autoscalerSpec["minReplicas"] as? Int ?? 0) >= 2, "\(path): at least two replicas")
        let budget = try Self.document("PodDisruptionBudget", in: documents, path)
        let budgetSelector = (((budget["spec"] as? [String: Any])?["selector"] as? [String: Any])?["matchLabels"] as? [String: String]) ?? [:]
        #expect(!budgetSelector.isEmpty && budgetSelector.allSatisfy { labels[$0.key] == $0.value }, "\(path): the budget covers the pods")
        return container
    }

    @Test func kubernetesRunsEveryServiceLockedDownAndScalable() throws {
        let kustomization = try Self.load("deploy/k8s/kustomization.yaml")
        let resources = try #require(kustomization["resources"] as? [String])
        let images = (kustomization["images"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let config = try #require(Self.loadAll("deploy/k8s/config.yaml").first?["data"] as? [String: Any])
        let secretExample = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/k8s/secrets.env.example"), encoding: .utf8)
        let secretKeys = Set(secretExample.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: "=").first.map(String.init) })
        for setting in Setting.catalog where setting.isSecret {
            #expect(config[setting.environmentName] == nil, "the ConfigMap holds no secret (\(setting.environmentName))")
        }
        for service in ServiceName.allCases {
            let path = "deploy/k8s/\(service.rawValue).yaml"
            #expect(resources.contains("\(service.rawValue).yaml"), "the kustomization lacks \(service)")
            let container = try Self.checkWorkload(path, name: service.rawValue, readiness: "/health/ready", liveness: "/health/live")
            #expect((container["image"] as? String)?.hasPrefix("roster/\(service.rawValue):") == true, "\(path): image")
            #expect(images.contains("roster/\(service.rawValue)"), "the kustomization sets the tag of roster/\(service.rawValue)")
            let environment = container["env"] as? [[String: Any]] ?? []
            let given = Set(environment.compactMap { $0["name"] as? String }).union(config.keys)
            for setting in Setting.catalog where setting.isRequired && (setting.services.isEmpty || setting.services.contains(service)) {
                #expect(given.contains(setting.environmentName), "\(path) lacks \(setting.environmentName)")
            }
            for entry in environment {
                let name = try #require(entry["name"] as? String)
                let reference = ((entry["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any])
                if Setting.catalog.contains(where: { $0.isSecret && $0.environmentName == name }) {
                    let key = try #require(reference?["key"] as? String, "\(path): \(name) must come from the Secret")
                    #expect(secretKeys.contains(key), "secrets.env.example lacks \(key)")
                }
            }
        }
        #expect(resources.contains("gateway.yaml") && resources.contains("../gateway"))
        let gateway = try Self.checkWorkload("deploy/k8s/gateway.yaml", name: "gateway", readiness: "/healthz", liveness: "/healthz")
        let mounts = (gateway["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        #expect(mounts.contains("/etc/nginx/templates") && mounts.contains("/etc/nginx/conf.d"), "the template goes in, the rendered file has room")
        let variables = Set((gateway["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(variables == Self.gatewayPlaceholders, "the gateway sets exactly the template's placeholders")
        let generator = try #require((Self.load("deploy/gateway/kustomization.yaml")["configMapGenerator"] as? [[String: Any]])?.first)
        #expect(generator["name"] as? String == "roster-gateway" && generator["files"] as? [String] == ["roster.conf.template"])
    }

    static let gatewayPlaceholders: Set<String> = [
        "ROSTER_GATEWAY_LISTEN", "ROSTER_USERS_UPSTREAM", "ROSTER_AUDIENCE_UPSTREAM", "ROSTER_VERIFICATION_UPSTREAM",
        "ROSTER_NOTIFICATION_UPSTREAM",
    ]

    @Test func theGatewayTemplateHasOnlyAddressPlaceholders() throws {
        let text = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/gateway/roster.conf.template"), encoding: .utf8)
        let placeholders = Set(text.matches(of: /\$\{([A-Z_]+)\}/).map { String($0.1) })
        #expect(placeholders == Self.gatewayPlaceholders)
    }
}
