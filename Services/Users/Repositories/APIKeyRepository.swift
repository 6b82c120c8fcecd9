import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// API keys: creation (hash only) and introspection.
struct APIKeyRepository: Sendable {
    let client: PostgresClient

    /// Stores a key's hash for `applicationID` in the caller's transaction.
    func insert(_ key: APIKeySecret, name: String, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO api_keys (id, application_id, name, prefix, secret_hash)
            VALUES (\(EntityID.generate()), \(applicationID), \(name), \(key.prefix), \(key.hash))
            """, logger: logger)
    }

    /// Whether `text` is a live key, and whose.
    func introspect(_ text: String, logger: Logger) async throws -> APIKeyIntrospection.Response {
        guard let key = APIKeySecret(parsing: text) else { return .inactive }
        let rows = try await self.client.query(
            "SELECT id, application_id, secret_hash FROM api_keys WHERE prefix = \(key.prefix) AND revoked_at IS NULL",
            logger: logger)
        for try await (id, applicationID, hash) in rows.decode((EntityID, EntityID, Data).self) {
            if key.matches(storedHash: hash) {
                return APIKeyIntrospection.Response(active: true, applicationId: applicationID, keyId: id)
            }
        }
        return .inactive
    }
}

/// The users service checks API keys against its own table: no HTTP hop to itself.
struct LocalAPIKeyVerifier: APIKeyVerifier {
    let repository: APIKeyRepository
    let logger: Logger

    func introspect(_ key: String) async throws -> APIKeyIntrospection.Response {
        try await self.repository.introspect(key, logger: self.logger)
    }
}
