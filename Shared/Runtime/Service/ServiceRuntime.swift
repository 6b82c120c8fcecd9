import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Prometheus
import RosterProtocol
import ServiceLifecycle

/// Everything one service process shares: configuration, logging, metrics, the database
/// pool, the internal HTTP client, service tokens, the wake-up hub and the job queue.
///
/// A service's `main` is `ServiceRuntime.main(.users) { runtime in buildPlan(runtime) }`;
/// the runtime boots, asks the service for its plan, migrates, and serves until SIGTERM.
public final class ServiceRuntime: Sendable {
    public let service: ServiceName
    public let configuration: ServiceConfiguration
    public let settings: SettingsReader
    public let logger: Logger
    public let metrics: PrometheusCollectorRegistry
    public let postgres: PostgresClient
    /// Where list, search, export and statistics endpoints read: the read replica of
    /// `database.readUrl` (every transaction read-only), or `postgres` itself.
    public let readPostgres: PostgresClient
    public let http: HTTPClient
    public let serviceTokens: ServiceTokens
    public let internalClient: InternalClient
    public let hub: NotificationHub
    public let startup: StartupGate
    public let jobs: JobQueue

    init(service: ServiceName, settings: SettingsReader) async throws {
        let configuration = try ServiceConfiguration(service: service, reader: settings)
        self.service = service
        self.configuration = configuration
        self.settings = settings
        self.metrics = Observability.bootstrap(service: service.rawValue, level: configuration.logLevel)
        var logger = Logger(label: service.productName)
        logger.logLevel = configuration.logLevel
        self.logger = logger
        self.postgres = PostgresClient(
            configuration: configuration.database.clientConfiguration(
                schema: configuration.schema, applicationName: service.productName, poolSize: configuration.databasePoolSize),
            backgroundLogger: logger)
        if let replica = configuration.readDatabase {
            self.readPostgres = PostgresClient(
                configuration: replica.clientConfiguration(
                    schema: configuration.schema, applicationName: service.productName + "-read", poolSize: configuration.databasePoolSize,
                    readOnly: true),
                backgroundLogger: logger)
        } else {
            self.readPostgres = self.postgres
        }
        self.http = Self.makeHTTPClient(logger: logger)
        self.serviceTokens = await ServiceTokens(secret: configuration.serviceSecret, service: service)
        self.internalClient = InternalClient(
            http: self.http, peers: configuration.peers, tokens: self.serviceTokens, timeout: configuration.internalTimeout,
            retries: configuration.internalRetries, logger: logger)
        self.hub = NotificationHub(
            client: self.postgres, schema: configuration.schema, pollInterval: configuration.pollInterval, logger: logger)
        self.startup = StartupGate()
        self.jobs = JobQueue(client: self.postgres, schema: configuration.schema)
    }

    /// Boots the runtime, builds the service's plan and serves it; configuration errors end
    /// the process with exit status 2 and a one-line message on standard error.
    ///
    /// Swift concurrency's tasks run on NIO's event loops rather than a pool of their own: a
    /// request's handler, its database query and its response stay on one loop instead of
    /// hopping between thread pools (+20 % throughput and a third of the p99 on point reads
    /// here). The price: nothing may block in a task (password hashing has its own threads).
    public static func main(_ service: ServiceName, plan build: (ServiceRuntime) async throws -> ServicePlan) async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let settings = SettingsReader()
        let runtime: ServiceRuntime
        do {
            runtime = try await ServiceRuntime(service: service, settings: settings)
        } catch {
            JSONLogHandler.flush()
            FileHandle.standardError.write(Data("\(service.productName): \(error)\n".utf8))
            exit(2)
        }
        do {
            let plan = try await build(runtime)
            try await runtime.run(plan)
        } catch let error as ConfigurationError {
            runtime.logger.critical("cannot start", metadata: ["reason": "\(error.description)"])
            try? await runtime.http.shutdown()
            JSONLogHandler.flush()
            exit(2)
        } catch {
            runtime.logger.critical("stopped with an error", metadata: ["error": "\(String(reflecting: error))"])
            try? await runtime.http.shutdown()
            JSONLogHandler.flush()
            exit(1)
        }
        try? await runtime.http.shutdown()
        JSONLogHandler.flush()
    }

    /// The HTTP client of internal calls and webhooks: a refused connection fails at once (the
    /// caller's retry policy decides what happens next) instead of being retried until the
    /// deadline, and a redirect is an answer like any other, never followed (a webhook receiver
    /// cannot send the request on to an address the webhook policy refuses).
    public static func makeHTTPClient(logger: Logger) -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(30)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration, backgroundActivityLogger: logger)
    }

    /// A router with the runtime's middleware and operational routes; the service adds its own.
    ///
    /// CSV uploads may carry bodies up to `http.maxUploadBytes`; JSON requests to paths whose
    /// last segment is in `bulkEndpoints` up to 16 MiB (or that, if smaller); all others up to
    /// `http.maxBodyBytes`.
    public func makeRouter(bulkEndpoints: Set<String> = []) -> Router<RosterRequestContext> {
        let router = Router(context: RosterRequestContext.self)
        router.add(
            middleware: RequestContextMiddleware(
                bodyLimit: self.configuration.maxBodyBytes, uploadLimit: self.configuration.maxUploadBytes, bulkEndpoints: bulkEndpoints))
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: BodyLimitMiddleware())
        return router
    }

    /// The authentication of public routes: JWTs against the users service's JWKS (or the
    /// given source), API keys through its introspection endpoint (or the given verifier),
    /// the answers cached for `auth.apiKeyCacheSeconds`.
    public func makeAuthentication(jwks: (any JWKSSource)? = nil, apiKeys: (any APIKeyVerifier)? = nil) -> AuthenticationMiddleware {
        let tokens = AccessTokenVerifier(
            source: jwks ?? RemoteJWKSSource(http: self.http, usersURL: self.configuration.peers[.users]!),
            refreshInterval: TimeInterval(self.configuration.jwksRefreshSeconds), logger: self.logger)
        let keys = CachingAPIKeyVerifier(
            apiKeys ?? IntrospectingAPIKeyVerifier(client: self.internalClient), cacheSeconds: self.configuration.apiKeyCacheSeconds)
        return AuthenticationMiddleware(tokens: tokens, apiKeys: keys, csrf: CSRFTokens(serviceSecret: self.configuration.serviceSecret))
    }

    /// The `/internal/v1` group: every route in it needs a service token.
    public func internalGroup(_ router: Router<RosterRequestContext>) -> RouterGroup<RosterRequestContext> {
        router.group("internal/v1").add(middleware: ServiceTokenMiddleware(tokens: self.serviceTokens))
    }

    /// Migrates, then serves the plan until SIGTERM/SIGINT, draining in-flight requests.
    func run(_ plan: ServicePlan) async throws {
        let migrations = try Migration.runtime() + Migration.load(
            from: plan.resources.appendingPathComponent("Migrations"), namespace: self.service.rawValue)
        let openAPI = try OpenAPIDocument.json(serviceDocument: plan.resources.appendingPathComponent("openapi.yaml"))
        OperationalRoutes.register(on: plan.router, runtime: self, openAPI: openAPI)
        OperationalRoutes.registerInternal(on: self.internalGroup(plan.router), runtime: self, consumer: plan.consumer)

        var services: [any Service] = [
            PostgresClientService(client: self.postgres), self.hub,
            Maintenance(client: self.postgres, startup: self.startup, logger: self.logger),
        ]
        if self.readPostgres !== self.postgres { services.append(PostgresClientService(client: self.readPostgres)) }
        if let outbox = plan.outbox {
            services.append(
                OutboxDispatcher(
                    client: self.postgres, outbox: outbox, internalClient: self.internalClient, hub: self.hub, startup: self.startup,
                    batchSize: self.configuration.outboxBatchSize, maxBackoffSeconds: self.configuration.outboxMaxBackoffSeconds,
                    logger: self.logger))
        }
        if !plan.jobHandlers.isEmpty {
            services.append(
                JobWorker(
                    queue: self.jobs, handlers: plan.jobHandlers, concurrency: self.configuration.jobsConcurrency, hub: self.hub,
                    startup: self.startup, logger: self.logger))
        }
        services += plan.services

        let logger = self.logger
        var app = Application(
            router: plan.router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(self.configuration.idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port)),
            services: services,
            onServerRunning: { channel in
                logger.info("listening", metadata: ["port": "\(channel.localAddress?.port ?? 0)"])
            },
            logger: logger)
        app.beforeServerStarts {
            let applied = try await Migrator(client: self.postgres, schema: self.configuration.schema, logger: logger).apply(migrations)
            logger.info("schema ready", metadata: ["migrations.applied": "\(applied.count)"])
            try await plan.onStart?()
            await self.startup.open()
        }
        logger.info(
            "starting", metadata: ["configuration": .dictionary(self.settings.effectiveConfiguration().mapValues { .string($0) })])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [.sigquit],
                logger: logger
            ).withDrain(seconds: self.configuration.drainSeconds))
        try await group.run()
        logger.info("stopped")
    }
}

extension ServiceGroupConfiguration {
    fileprivate func withDrain(seconds: Int) -> Self {
        var configuration = self
        configuration.maximumGracefulShutdownDuration = .seconds(seconds)
        return configuration
    }
}
