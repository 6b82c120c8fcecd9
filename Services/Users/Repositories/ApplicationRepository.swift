import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Applications (tenants), managed by superusers.
struct ApplicationRepository: Sendable {
    let client: PostgresClient
    let apiKeys: APIKeyRepository

    /// An application as superusers see it.
    struct Record: Encodable, Sendable, KeysetPageable {
        var id: EntityID
        var name: String
        var status: String
        var isDefault: Bool
        var createdAt: Date
        var updatedAt: Date

        func sortValue(for field: String) -> String? {
            field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
        }
    }

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt")],
        filters: ["status": .choice(["active", "suspended"])])

    static let columns: SQLFragment = "id, name, status, is_default, created_at, updated_at"

    /// On the very first start, creates the default application and its superuser API key.
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
            try await self.apiKeys.insert(
                key, name: "bootstrap admin key", scope: "superuser", applicationID: applicationID, on: connection, logger: logger)
            logger.info("created the default application", metadata: ["application.id": "\(applicationID)", "api_key.prefix": "\(key.prefix)"])
            return configuredKey == nil ? key.text : nil
        }
    }

    /// The default application (where public sign-ups go when no application is named).
    func defaultApplication(logger: Logger) async throws -> EntityID? {
        try await self.client.query("SELECT id FROM applications WHERE is_default", logger: logger)
            .decode(EntityID.self).first(where: { _ in true })
    }

    /// The application a public request (sign-up, sign-in, codes) is for: the named one, else
    /// the default; it must exist and be active (else a 422, or a 503 before the first start).
    func signInApplication(_ id: EntityID?, logger: Logger) async throws -> EntityID {
        let named: EntityID? = if let id { id } else { try await self.defaultApplication(logger: logger) }
        guard let id = named else {
            throw Problem.unavailable("The platform has no default application yet.")
        }
        guard try await self.isActive(id, logger: logger) else {
            throw Problem.validation(
                "No such active application.",
                errors: [.init(field: "applicationId", code: "unknown_application", message: "is not an active application")])
        }
        return id
    }

    /// Whether the application exists and is active.
    func isActive(_ id: EntityID, logger: Logger) async throws -> Bool {
        !(try await self.client.query("SELECT 1 FROM applications WHERE id = \(id) AND status = 'active'", logger: logger).collect().isEmpty)
    }

    /// `isActive` inside the caller's transaction.
    func isActive(_ id: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        !(try await connection.query("SELECT 1 FROM applications WHERE id = \(id) AND status = 'active'", logger: logger).collect().isEmpty)
    }

    /// Creates an application with a first admin key (shown once by the caller).
    func create(name: String, logger: Logger) async throws -> (Record, APIKeyRepository.Record, APIKeySecret) {
        let key = APIKeySecret.generate()
        return try await self.client.withTransaction(logger: logger) { connection in
            let insert: SQLFragment = "INSERT INTO applications (id, name) VALUES (\(EntityID.generate()), \(name)) RETURNING \(Self.columns)"
            let application = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
            let record = try await self.apiKeys.insert(
                key, name: "first admin key", scope: "admin", applicationID: application.id, on: connection, logger: logger)
            return (application, record, key)
        }
    }

    func find(_ id: EntityID, logger: Logger) async throws -> Record? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM applications WHERE id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// Renames and/or suspends or reactivates; `nil` when there is no such application.
    func update(_ id: EntityID, name: String?, status: String?, logger: Logger) async throws -> Record? {
        let update: SQLFragment = """
            UPDATE applications SET name = coalesce(\(name), name), status = coalesce(\(status), status), updated_at = now()
            WHERE id = \(id) RETURNING \(Self.columns)
            """
        return try await Self.decode(self.client.query(update.query(), logger: logger)).first
    }

    func list(_ query: ListQuery, logger: Logger) async throws -> ListPage<Record> {
        var conditions: [SQLFragment] = []
        if case .string(let status) = query.filter("status") { conditions.append("status = \(status)") }
        return try await query.load(
            Self.columns, from: "applications", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Record] {
        var records: [Record] = []
        for try await (id, name, status, isDefault, created, updated) in rows.decode((EntityID, String, String, Bool, Date, Date).self) {
            records.append(Record(id: id, name: name, status: status, isDefault: isDefault, createdAt: created, updatedAt: updated))
        }
        return records
    }
}
