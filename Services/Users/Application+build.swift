import Foundation
import RosterProtocol
import RosterRuntime

/// Wires the users service: repositories, controllers, routes, events and first-start bootstrap.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let logger = runtime.logger
    let outbox = Outbox(
        source: .users,
        routes: [EventRoute(subscriber: .audience, eventTypes: [.userCreated, .userUpdated, .userDeleted])])
    let apiKeys = APIKeyRepository(client: runtime.postgres)
    let applications = ApplicationRepository(client: runtime.postgres, apiKeys: apiKeys)
    let signingKeys = SigningKeyRepository(client: runtime.postgres)
    let users = UserRepository(client: runtime.postgres, outbox: outbox)

    let configuredKey: APIKeySecret?
    if let text = runtime.settings.optionalString(.bootstrapAPIKey) {
        guard let key = APIKeySecret(parsing: text) else {
            throw ConfigurationError(
                "\(Setting.bootstrapAPIKey.environmentName) must look like rk_XXXXXXXX_ followed by 32 letters or digits")
        }
        configuredKey = key
    } else {
        configuredKey = nil
    }

    let router = runtime.makeRouter()
    let authentication = runtime.makeAuthentication(
        jwks: LocalJWKSSource(repository: signingKeys, logger: logger),
        apiKeys: LocalAPIKeyVerifier(repository: apiKeys, logger: logger))
    let api = router.group("api/v1").add(middleware: authentication)
    UserController(repository: users).register(on: api.group("users"))
    KeysController(signingKeys: signingKeys, apiKeys: apiKeys).register(public: router, internal: runtime.internalGroup(router))

    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        outbox: outbox,
        services: [SigningKeyUpkeep(repository: signingKeys, startup: runtime.startup, logger: logger)],
        onStart: {
            try await signingKeys.ensureActiveKey(logger: logger)
            if let generated = try await applications.bootstrapDefault(configuredKey: configuredKey, logger: logger) {
                BootstrapBanner.print(apiKey: generated)
            }
        })
}
