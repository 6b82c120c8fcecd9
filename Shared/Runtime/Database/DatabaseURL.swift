import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=...` URL, parsed into a client configuration.
///
/// PostgresNIO takes no URLs, and every deployment tool speaks them, so configuration uses
/// one URL per service (moving a schema to another cluster is changing that one URL).
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `disable` (the default), `prefer` or `require`; set `require` for any database across a network.
    public var sslMode: String

    /// Parses the URL; throws `ConfigurationError` naming what is wrong (never echoing the password).
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw ConfigurationError("database URL must look like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ConfigurationError("database URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ConfigurationError("database URL has no user name")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user  // URLComponents has already percent-decoded user and password
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value
        self.sslMode = sslMode ?? "disable"
        guard ["disable", "prefer", "require"].contains(self.sslMode) else {
            throw ConfigurationError("database URL sslmode must be disable, prefer or require")
        }
    }

    /// The URL with the password replaced, safe to log.
    public var description: String {
        let secret = self.password == nil ? "" : ":<redacted>"
        return "postgres://\(self.username)\(secret)@\(self.host):\(self.port)/\(self.database)?sslmode=\(self.sslMode)"
    }

    /// A PostgresNIO client configuration whose sessions use `schema` as their search path.
    /// `readOnly` makes every transaction of the pool read-only (`default_transaction_read_only`),
    /// for a read replica's pool: a write sent there by mistake fails instead of half-working.
    public func clientConfiguration(schema: String, applicationName: String, poolSize: Int, readOnly: Bool = false)
        -> PostgresClient.Configuration
    {
        let tls: PostgresClient.Configuration.TLS
        switch self.sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password,
            database: self.database, tls: tls)
        configuration.options.maximumConnections = max(2, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [
            ("application_name", applicationName),
            ("search_path", schema),
            ("timezone", "UTC"),
        ]
        if readOnly { configuration.options.additionalStartupParameters.append(("default_transaction_read_only", "on")) }
        return configuration
    }
}

/// A configuration value is missing or malformed; the service refuses to start.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
