import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// API keys: stored as hashes, listed by prefix, revoked, and checked (introspection).
struct APIKeyRepository: Sendable {
    let client: PostgresClient

    /// An API key as administrators see it (never the secret).
    struct Record: Encodable, Sendable, KeysetPageable {
        var id: EntityID
        var name: String
        var prefix: String
        var scope: String
        var createdAt: Date
        var lastUsedAt: Date?
        var revokedAt: Date?

        func sortValue(for field: String) -> String? {
            field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
        }
    }

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["revoked": .boolean])

    /// Stores a key's hash for `applicationID` in the caller's transaction.
    @discardableResult
    func insert(
        _ key: APIKeySecret, name: String, scope: String, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> Record {
        let insert: SQLFragment = """
            INSERT INTO api_keys (id, application_id, name, prefix, secret_hash, scope)
            VALUES (\(EntityID.generate()), \(applicationID), \(name), \(key.prefix), \(key.hash), \(scope))
            RETURNING id, name, prefix, scope, created_at, last_used_at, revoked_at
            """
        return try await Self.decode(connection.query(insert.query(), logger: logger))[0]
    }

    /// Creates a key in its own transaction; the caller shows `key.text` once.
    func create(name: String, scope: String, applicationID: EntityID, logger: Logger) async throws -> (Record, APIKeySecret) {
        let key = APIKeySecret.generate()
        let record = try await self.client.withTransaction(logger: logger) { connection in
            try await self.insert(key, name: name, scope: scope, applicationID: applicationID, on: connection, logger: logger)
        }
        return (record, key)
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Record> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .boolean(let revoked) = query.filter("revoked") {
            conditions.append(revoked ? "revoked_at IS NOT NULL" : "revoked_at IS NULL")
        }
        return try await query.load(
            "id, name, prefix, scope, created_at, last_used_at, revoked_at", from: "api_keys", where: conditions, spec: Self.listSpec,
            client: self.client, logger: logger, decode: Self.decode)
    }

    /// Revokes a key of the application; `nil` when there is no such key. A superuser key can
    /// be revoked only by a superuser (else an application administrator could lock the
    /// platform's operators out of tenant management).
    func revoke(_ id: EntityID, applicationID: EntityID, allowingSuperuser: Bool, logger: Logger) async throws -> Record? {
        let select: SQLFragment = "SELECT scope FROM api_keys WHERE application_id = \(applicationID) AND id = \(id)"
        guard let scope = try await self.client.query(select.query(), logger: logger).decode(String.self).first(where: { _ in true }) else {
            return nil
        }
        guard scope != "superuser" || allowingSuperuser else {
            throw Problem.forbidden("Only a superuser can revoke a superuser key.")
        }
        let update: SQLFragment = """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE application_id = \(applicationID) AND id = \(id)
            RETURNING id, name, prefix, scope, created_at, last_used_at, revoked_at
            """
        return try await Self.decode(self.client.query(update.query(), logger: logger)).first
    }

    /// Whether `text` is a live key of an active application, and whose. Records the use at
    /// most once a minute per key, off the request's path: the check never waits for a write.
    func introspect(_ text: String, logger: Logger) async throws -> APIKeyIntrospection.Response {
        guard let key = APIKeySecret(parsing: text) else { return .inactive }
        let rows = try await self.client.query(
            """
            SELECT k.id, k.application_id, k.secret_hash, k.scope, k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'
            FROM api_keys k JOIN applications a ON a.id = k.application_id
            WHERE k.prefix = \(key.prefix) AND k.revoked_at IS NULL AND a.status = 'active'
            """,
            logger: logger)
        for try await (id, applicationID, hash, scope, stale) in rows.decode((EntityID, EntityID, Data, String, Bool).self)
        where key.matches(storedHash: hash) {
            if stale {
                // Best effort: a use that is not recorded (the process stopped) costs nothing.
                Task { [client = self.client] in
                    try? await client.query(
                        "UPDATE api_keys SET last_used_at = now() WHERE id = \(id) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                        logger: logger)
                }
            }
            return APIKeyIntrospection.Response(active: true, applicationId: applicationID, keyId: id, scope: scope)
        }
        return .inactive
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Record] {
        var records: [Record] = []
        for try await (id, name, prefix, scope, created, used, revoked) in rows.decode(
            (EntityID, String, String, String, Date, Date?, Date?).self)
        {
            records.append(Record(id: id, name: name, prefix: prefix, scope: scope, createdAt: created, lastUsedAt: used, revokedAt: revoked))
        }
        return records
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
