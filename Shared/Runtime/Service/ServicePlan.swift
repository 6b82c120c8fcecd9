import Foundation
import Hummingbird
import ServiceLifecycle

/// What a service hands the runtime to run: its routes, its resources and its workers.
public struct ServicePlan: Sendable {
    /// The router from `ServiceRuntime.makeRouter`, with the service's routes added.
    public var router: Router<RosterRequestContext>
    /// The service's resource folder: `Migrations/*.sql` and `openapi.yaml`.
    public var resources: URL
    /// Events this service produces and who receives them; `nil` when it produces none.
    public var outbox: Outbox?
    /// What it does with events it receives; `nil` when it subscribes to none.
    public var consumer: (any EventConsumer)?
    public var jobHandlers: [any JobHandler]
    /// Further long-running work of the service, started after migrations and stopped on shutdown.
    public var services: [any Service]
    /// Runs once after migrations, before the server accepts requests (e.g. first-start bootstrap).
    public var onStart: (@Sendable () async throws -> Void)?

    public init(
        router: Router<RosterRequestContext>, resources: URL, outbox: Outbox? = nil, consumer: (any EventConsumer)? = nil,
        jobHandlers: [any JobHandler] = [], services: [any Service] = [], onStart: (@Sendable () async throws -> Void)? = nil
    ) {
        self.router = router
        self.resources = resources
        self.outbox = outbox
        self.consumer = consumer
        self.jobHandlers = jobHandlers
        self.services = services
        self.onStart = onStart
    }
}

extension ServicePlan {
    /// The `Resources` folder a service target copies into its bundle (`Bundle.module`).
    public static func resources(in bundle: Bundle) throws -> URL {
        guard let url = bundle.url(forResource: "Resources", withExtension: nil) else {
            throw ConfigurationError("the service's resources (migrations, openapi.yaml) are missing next to its executable")
        }
        return url
    }
}

extension Router: @retroactive @unchecked Sendable {}
