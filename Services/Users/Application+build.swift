import Crypto
import Foundation
import RosterProtocol
import RosterRuntime

/// Wires the users service: repositories, sign-in, controllers, routes, events, the import job and first-start bootstrap.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let logger = runtime.logger
    let configuration = try UsersConfiguration(reader: runtime.settings)
    let postgres = runtime.postgres
    let outbox = Outbox(
        source: .users,
        routes: [
            EventRoute(subscriber: .audience, eventTypes: [.userCreated, .userUpdated, .userDeleted, .userActivity]),
            EventRoute(subscriber: .notification, eventTypes: [.userCreated, .userUpdated, .userDeleted]),
            EventRoute(subscriber: .verification, eventTypes: [.userCreated, .userUpdated, .userDeleted]),
        ])

    let apiKeys = APIKeyRepository(client: postgres)
    let applications = ApplicationRepository(client: postgres, apiKeys: apiKeys)
    let signingKeys = SigningKeyRepository(client: postgres)
    let users = UserRepository(client: postgres, outbox: outbox)
    let sessions = SessionRepository(client: postgres)
    let lockouts = LockoutRepository(
        client: postgres, accountThreshold: configuration.lockoutThreshold, addressThreshold: configuration.addressLockoutThreshold,
        baseSeconds: configuration.lockoutBaseSeconds, maxSeconds: configuration.lockoutMaxSeconds,
        nameKey: SymmetricKey(data: SHA256.hash(data: Data("roster-lockout-names:\(runtime.configuration.serviceSecret)".utf8))))
    let preferences = PreferencesRepository(client: postgres, users: users)
    let hasher = PasswordHasher(threads: configuration.hashThreads, cost: configuration.bcryptCost, queueLimit: configuration.hashQueueLimit)
    let signer = AccessTokenSigner(repository: signingKeys, lifetimeSeconds: configuration.accessTokenSeconds, logger: logger)
    let limiter = RateLimiter(client: postgres)
    let csrf = CSRFTokens(serviceSecret: runtime.configuration.serviceSecret)
    let signIn = SignInService(
        client: postgres, users: users, sessions: sessions, lockouts: lockouts, applications: applications, hasher: hasher,
        signer: signer, limiter: limiter, configuration: configuration)

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
    let changes = AccountChanges(users: users, sessions: sessions)
    let audience = AudienceDirectory(client: runtime.internalClient)
    // Lists, search, export and statistics read from the read replica, when there is one.
    let listing = UserListing(client: runtime.readPostgres, audience: audience)
    let imports = UserImportRepository(client: postgres, outbox: outbox, jobs: runtime.jobs)
    ImportController(imports: imports, jobs: runtime.jobs).register(on: api.group("users"))
    UserController(repository: users, listing: listing, changes: changes, hasher: hasher).register(on: api.group("users"))
    let presence = PresenceRepository(client: postgres, onlineSeconds: configuration.presenceOnlineSeconds)
    // A bulk change by filter selects from the primary: a replica's lag must not leave users out.
    BulkUserController(
        bulk: BulkUserRepository(client: postgres, outbox: outbox), listing: UserListing(client: postgres, audience: audience),
        idempotent: IdempotentWork(client: postgres), audience: audience
    ).register(on: api.group("users"))
    AgentController(listing: listing, presence: presence).register(on: api.group("agents"))
    PresenceController(presence: presence, users: users).register(presence: api.group("presence"), users: api.group("users"))
    ConversationController(conversations: ConversationRepository(client: postgres, typingSeconds: configuration.presenceTypingSeconds))
        .register(on: api.group("conversations"))
    BotController(users: users).register(on: api.group("bot"))
    UserAdminController(users: users, sessions: sessions, changes: changes).register(on: api.group("users"))
    UserStatsController(stats: UserStatsRepository(client: runtime.readPostgres), activity: ActivityRepository(client: postgres, outbox: outbox))
        .register(users: api.group("users"), summary: api.group("users-stats"))
    MeController(
        users: users, preferences: preferences, sessions: sessions, changes: changes, hasher: hasher, signIn: signIn,
        internalClient: runtime.internalClient)
        .register(on: api.group("me"))
    APIKeyController(repository: apiKeys).register(on: api.group("api-keys"))
    ApplicationController(repository: applications).register(on: api.group("applications"))
    AuthController(
        signIn: signIn, users: users, sessions: sessions, lockouts: lockouts, applications: applications, hasher: hasher,
        limiter: limiter, authentication: authentication, csrf: csrf, jobs: runtime.jobs, configuration: configuration
    ).register(public: router.group("api/v1/auth"), authenticated: api.group("auth"))
    let verification = VerificationService(client: runtime.internalClient)
    VerificationFlowController(
        users: users, changes: changes, hasher: hasher, signIn: signIn, verification: verification, jobs: runtime.jobs, limiter: limiter,
        authentication: authentication, applications: applications, configuration: configuration
    ).register(public: router.group("api/v1/auth"), authenticated: api.group("auth"), me: api.group("me"))
    KeysController(signingKeys: signingKeys, apiKeys: apiKeys).register(public: router, internal: runtime.internalGroup(router))

    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        outbox: outbox,
        jobHandlers: [UserImportJob(imports: imports, audience: audience), VerificationRequestJob(users: users, verification: verification)],
        services: [AccountUpkeep(signingKeys: signingKeys, client: postgres, startup: runtime.startup, logger: logger)],
        onStart: {
            try await signingKeys.ensureActiveKey(logger: logger)
            if let generated = try await applications.bootstrapDefault(configuredKey: configuredKey, logger: logger) {
                BootstrapBanner.print(apiKey: generated)
            }
        })
}
