import Foundation
import Logging
import RosterProtocol

/// The typed settings of one service process, read once at start.
public struct ServiceConfiguration: Sendable {
    public var service: ServiceName
    public var host: String
    public var port: Int
    public var maxBodyBytes: Int
    /// The body limit of bulk endpoints and CSV uploads.
    public var maxUploadBytes: Int
    public var idleTimeoutSeconds: Int
    public var database: DatabaseURL
    /// A read replica for list, search, export and statistics reads; `nil` reads from `database`.
    public var readDatabase: DatabaseURL?
    public var databasePoolSize: Int
    public var logLevel: Logger.Level
    public var serviceSecret: String
    public var drainSeconds: Int
    public var pollInterval: Duration
    public var peers: [ServiceName: URL]
    public var internalTimeout: Duration
    public var internalRetries: Int
    public var outboxBatchSize: Int
    public var outboxMaxBackoffSeconds: Int
    public var jwksRefreshSeconds: Int
    public var apiKeyCacheSeconds: Int
    public var jobsConcurrency: Int

    /// The port a service listens on when `http.port` is not set.
    public static func defaultPort(of service: ServiceName) -> Int {
        switch service {
        case .users: 8081
        case .audience: 8082
        case .verification: 8083
        case .notification: 8084
        }
    }

    /// Reads and validates every common setting; throws `ConfigurationError` on the first bad one.
    public init(service: ServiceName, reader: SettingsReader) throws {
        self.service = service
        self.host = try reader.string(.httpHost)
        self.port = try reader.int(.httpPort, default: Self.defaultPort(of: service), in: 0...65535)
        self.maxBodyBytes = try reader.int(.httpMaxBodyBytes, in: 1024...(1 << 30))
        self.maxUploadBytes = try reader.int(.httpMaxUploadBytes, in: 1024...(1 << 34))
        self.idleTimeoutSeconds = try reader.int(.httpIdleTimeoutSeconds, in: 1...3600)
        self.database = try DatabaseURL(reader.string(.databaseURL))
        self.readDatabase = try reader.optionalString(.databaseReadURL).map(DatabaseURL.init)
        self.databasePoolSize = try reader.int(.databasePoolSize, in: 2...500)
        let level = try reader.string(.logLevel)
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError("\(Setting.logLevel.environmentName) must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = logLevel
        self.serviceSecret = try reader.string(.serviceSecret)
        guard self.serviceSecret.utf8.count >= 32 else {
            throw ConfigurationError("\(Setting.serviceSecret.environmentName) must be at least 32 characters long")
        }
        self.drainSeconds = try reader.int(.drainSeconds, in: 1...600)
        self.pollInterval = .milliseconds(try reader.int(.pollSeconds, in: 1...3600) * 1000)
        self.peers = [
            .users: try reader.url(.usersURL),
            .audience: try reader.url(.audienceURL),
            .verification: try reader.url(.verificationURL),
            .notification: try reader.url(.notificationURL),
        ]
        self.internalTimeout = .milliseconds(try reader.int(.internalTimeoutMs, in: 50...120_000))
        self.internalRetries = try reader.int(.internalRetries, in: 0...10)
        self.outboxBatchSize = try reader.int(.outboxBatchSize, in: 1...1000)
        self.outboxMaxBackoffSeconds = try reader.int(.outboxMaxBackoffSeconds, in: 1...86_400)
        self.jwksRefreshSeconds = try reader.int(.jwksRefreshSeconds, in: 1...86_400)
        self.apiKeyCacheSeconds = try reader.int(.apiKeyCacheSeconds, in: 0...3600)
        self.jobsConcurrency = try reader.int(.jobsConcurrency, in: 1...64)
    }

    /// The PostgreSQL schema this service owns; always the service's name.
    public var schema: String { self.service.rawValue }
}
