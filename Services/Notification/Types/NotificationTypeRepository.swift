import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime
import Synchronization

/// The catalog of notification types, and the example types a new application receives.
final class NotificationTypeRepository: Sendable {
    let client: PostgresClient
    /// Whether applications get the example types (seed 004) on first use.
    let seedsExamples: Bool
    /// Applications this process knows have their examples (a cache of `catalog_seeds`).
    private let seeded = Mutex<Set<EntityID>>([])

    init(client: PostgresClient, seedsExamples: Bool) {
        self.client = client
        self.seedsExamples = seedsExamples
    }

    static let listSpec = ListQuerySpec(
        sortFields: [
            "code": .init(column: "code", type: .string),
            "name": .lowercased("name"),
            "createdAt": .init(column: "created_at", type: .timestamp),
        ],
        defaultSort: [SortKey("code")],
        filters: ["critical": .boolean, "channel": .choice(Channel.allCases.map(\.rawValue))],
        searchable: true)

    /// Types one application may have: settings views and updates read the whole catalog.
    static let limit = ApplicationRowLimit(
        table: "notification_types", limit: 500, code: "too_many_types", noun: "notification types")

    static let columns: SQLFragment = "id, code, name, description, default_enabled, channels, critical, created_at, updated_at"

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<NotificationType> {
        try await self.ensureExamples(applicationID: applicationID, logger: logger)
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .boolean(let flag) = query.filter("critical") { conditions.append("critical = \(flag)") }
        if case .string(let channel) = query.filter("channel") { conditions.append("\(channel) = ANY(channels)") }
        if let search = query.search {
            conditions.append(.contains(search, in: "name", "code"))
        }
        return try await query.load(
            Self.columns, from: "notification_types", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    /// Every type of the application, by code (settings and sends read the whole catalog).
    func all(applicationID: EntityID, logger: Logger) async throws -> [NotificationType] {
        try await self.ensureExamples(applicationID: applicationID, logger: logger)
        let select: SQLFragment = "SELECT \(Self.columns) FROM notification_types WHERE application_id = \(applicationID) ORDER BY code"
        return try await Self.decode(self.client.query(select.query(), logger: logger))
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> NotificationType? {
        try await self.ensureExamples(applicationID: applicationID, logger: logger)
        let select: SQLFragment = "SELECT \(Self.columns) FROM notification_types WHERE application_id = \(applicationID) AND id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func find(code: String, applicationID: EntityID, logger: Logger) async throws -> NotificationType? {
        try await self.ensureExamples(applicationID: applicationID, logger: logger)
        let select: SQLFragment = "SELECT \(Self.columns) FROM notification_types WHERE application_id = \(applicationID) AND code = \(code)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func create(_ type: NotificationType, applicationID: EntityID, logger: Logger) async throws -> NotificationType {
        try await self.ensureExamples(applicationID: applicationID, logger: logger)
        return try await self.translatingConflicts {
            let insert: SQLFragment = """
                INSERT INTO notification_types (application_id, id, code, name, description, default_enabled, channels, critical)
                SELECT \(applicationID), \(type.id), \(type.code), \(type.name), \(type.description), \(type.defaultEnabled),
                    \(type.channels.map(\.rawValue)), \(type.critical)
                WHERE \(Self.limit.condition(applicationID: applicationID))
                RETURNING \(Self.columns)
                """
            guard let created = try await Self.decode(self.client.query(insert.query(), logger: logger)).first else {
                throw Self.limit.problem
            }
            return created
        }
    }

    /// Changes a type under a row lock; `nil` when unknown. Settings for channels the type no
    /// longer allows are dropped with the change.
    func update(_ id: EntityID, applicationID: EntityID, logger: Logger, change: @Sendable (inout NotificationType) throws -> Void)
        async throws -> NotificationType?
    {
        try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                let select: SQLFragment = """
                    SELECT \(Self.columns) FROM notification_types WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE
                    """
                guard var type = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
                try change(&type)
                let channels = type.channels.map(\.rawValue)
                let update: SQLFragment = """
                    UPDATE notification_types SET code = \(type.code), name = \(type.name), description = \(type.description),
                        default_enabled = \(type.defaultEnabled), channels = \(channels), critical = \(type.critical), updated_at = now_ms()
                    WHERE application_id = \(applicationID) AND id = \(id) RETURNING \(Self.columns)
                    """
                let updated = try await Self.decode(connection.query(update.query(), logger: logger)).first
                let prune: SQLFragment = """
                    DELETE FROM notification_settings
                    WHERE application_id = \(applicationID) AND type_id = \(id) AND NOT (channel = ANY(\(channels)))
                    """
                try await connection.query(prune.query(), logger: logger)
                return updated
            }
        }
    }

    /// Deletes a type and every user's settings for it; sent notifications keep its code.
    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM notification_types WHERE application_id = \(applicationID) AND id = \(id) RETURNING id"
        return try await !self.client.query(delete.query(), logger: logger).collect().isEmpty
    }

    /// Gives the application the example types once, the first time any replica sees it.
    func ensureExamples(applicationID: EntityID, logger: Logger) async throws {
        guard self.seedsExamples, !self.seeded.withLock({ $0.contains(applicationID) }) else { return }
        let insert: SQLFragment = """
            WITH claimed AS (
                INSERT INTO catalog_seeds (application_id) VALUES (\(applicationID)) ON CONFLICT DO NOTHING RETURNING application_id
            )
            INSERT INTO notification_types (application_id, id, code, name, description, channels)
            SELECT claimed.application_id, e.id, e.code, e.name, e.description, ARRAY['in_app', 'email']
            FROM claimed, unnest(\(ExampleTypes.all.map { _ in EntityID.generate() }), \(ExampleTypes.all.map(\.code)),
                \(ExampleTypes.all.map(\.name)), \(ExampleTypes.all.map(\.description))) AS e(id, code, name, description)
            ON CONFLICT (application_id, code) DO NOTHING
            """
        try await self.client.query(insert.query(), logger: logger)
        _ = self.seeded.withLock { $0.insert(applicationID) }
    }

    private func translatingConflicts<T>(_ work: () async throws -> T) async throws -> T {
        try await DatabaseErrorMapping.translatingUniqueViolation(
            of: "notification_types_code_unique", to: .conflict("A notification type with this code already exists.", code: "duplicate_type"), work)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [NotificationType] {
        var types: [NotificationType] = []
        for try await (id, code, name, description, defaultEnabled, channels, critical, created, updated) in rows.decode(
            (EntityID, String, String, String?, Bool, [String], Bool, Date, Date).self)
        {
            types.append(
                NotificationType(
                    id: id, code: code, name: name, description: description, defaultEnabled: defaultEnabled,
                    channels: channels.compactMap(Channel.init(rawValue:)), critical: critical, createdAt: created, updatedAt: updated))
        }
        return types
    }
}
