import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Applications (tenants).
struct ApplicationRepository: Sendable {
    let client: PostgresClient
    let apiKeys: APIKeyRepository

    /// On the very first start, creates the default application and its admin API key.
    ///
    /// Returns the key's text when this call generated it (the caller prints it once), `nil`
    /// when an application already existed or the key came from configuration. Replicas
    /// starting together serialise on an advisory lock, so exactly one creates it.
    func bootstrapDefault(configuredKey: APIKeySecret?, logger: Logger) async throws -> String? {
        try await self.client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('roster.users.bootstrap'))", logger: logger)
            let existing = try await connection.query("SELECT id FROM applications LIMIT 1", logger: logger).collect()
            guard existing.isEmpty else { return nil }
            let applicationID = EntityID.generate()
            try await connection.query(
                "INSERT INTO applications (id, name, is_default) VALUES (\(applicationID), 'Default', true)", logger: logger)
            let key = configuredKey ?? APIKeySecret.generate()
            try await self.apiKeys.insert(key, name: "bootstrap admin key", applicationID: applicationID, on: connection, logger: logger)
            logger.info("created the default application", metadata: ["application.id": "\(applicationID)", "api_key.prefix": "\(key.prefix)"])
            return configuredKey == nil ? key.text : nil
        }
    }
}
