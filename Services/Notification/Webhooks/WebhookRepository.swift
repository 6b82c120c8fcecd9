import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The applications' webhook endpoints; the signing secret is sealed at rest.
struct WebhookRepository: Sendable {
    let client: PostgresClient
    let keys: SealingKeys

    /// The endpoint with its opened secret, as a delivery needs it.
    struct Target: Sendable {
        var url: String
        var secret: String
    }

    func endpoint(applicationID: EntityID, logger: Logger) async throws -> WebhookEndpoint? {
        let select: SQLFragment = "SELECT url, created_at, updated_at FROM webhook_endpoints WHERE application_id = \(applicationID)"
        for try await (url, created, updated) in try await self.client.query(select.query(), logger: logger).decode((String, Date, Date).self) {
            return WebhookEndpoint(url: url, secret: nil, createdAt: created, updatedAt: updated)
        }
        return nil
    }

    func target(applicationID: EntityID, logger: Logger) async throws -> Target? {
        let select: SQLFragment = "SELECT url, secret_sealed, secret_key_id FROM webhook_endpoints WHERE application_id = \(applicationID)"
        for try await (url, sealed, keyID) in try await self.client.query(select.query(), logger: logger).decode(
            (String, ByteBuffer, String).self)
        {
            let secret = try self.keys.open(Data(sealed.readableBytesView), keyID: keyID, context: Self.context(applicationID))
            return Target(url: url, secret: String(decoding: secret, as: UTF8.self))
        }
        return nil
    }

    /// Sets the URL; a new endpoint, or `rotate`, gets a new secret, which the answer shows.
    /// Answers whether the endpoint was created.
    func put(url: String, rotate: Bool, applicationID: EntityID, logger: Logger) async throws -> (WebhookEndpoint, created: Bool) {
        let secret = WebhookSignature.newSecret()
        let (sealed, keyID) = try self.keys.seal(Data(secret.utf8), context: Self.context(applicationID))
        // xmax = 0 tells an insert from an update; the secret changes only on insert or rotation.
        let upsert: SQLFragment = """
            INSERT INTO webhook_endpoints (application_id, url, secret_sealed, secret_key_id)
            VALUES (\(applicationID), \(url), decode(\(sealed.base64EncodedString()), 'base64'), \(keyID))
            ON CONFLICT (application_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now_ms(),
                secret_sealed = CASE WHEN \(rotate) THEN EXCLUDED.secret_sealed ELSE webhook_endpoints.secret_sealed END,
                secret_key_id = CASE WHEN \(rotate) THEN EXCLUDED.secret_key_id ELSE webhook_endpoints.secret_key_id END
            RETURNING url, created_at, updated_at, xmax = 0
            """
        let rows = try await self.client.query(upsert.query(), logger: logger).decode((String, Date, Date, Bool).self)
        for try await (url, created, updated, inserted) in rows {
            return (WebhookEndpoint(url: url, secret: inserted || rotate ? secret : nil, createdAt: created, updatedAt: updated), inserted)
        }
        throw Problem.conflict("The webhook endpoint changed meanwhile; retry.", code: "conflict")
    }

    func delete(applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM webhook_endpoints WHERE application_id = \(applicationID) RETURNING 1"
        return try await !self.client.query(delete.query(), logger: logger).collect().isEmpty
    }

    private static func context(_ applicationID: EntityID) -> Data {
        Data("notification.webhook/\(applicationID)".utf8)
    }
}
