import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Audience data of many users at once, one set-wise query per part.
struct AudienceLookupRepository: Sendable {
    let client: PostgresClient
    let definitions: AttributeDefinitionRepository

    func lookup(_ request: AudienceLookup.Request, logger: Logger) async throws -> AudienceLookup.Response {
        let app = request.applicationId
        let ids = Array(Set(request.userIds)).sorted()
        let select: SQLFragment = "SELECT user_id FROM user_projection WHERE application_id = \(app) AND user_id = ANY(\(ids))"
        var entries: [EntityID: AudienceLookup.Entry] = [:]
        for try await id in try await self.client.query(select.query(), logger: logger).decode(EntityID.self) {
            entries[id] = AudienceLookup.Entry()
        }
        let parts = Set(request.include)
        if parts.contains(.groups) {
            for id in entries.keys { entries[id]?.groups = [] }
            let groups: SQLFragment = """
                SELECT m.user_id, g.id, g.uid, g.name FROM group_members m
                JOIN groups g ON g.application_id = m.application_id AND g.id = m.group_id
                WHERE m.application_id = \(app) AND m.user_id = ANY(\(ids)) ORDER BY m.user_id, g.name, g.id
                """
            for try await (user, id, uid, name) in try await self.client.query(groups.query(), logger: logger)
                .decode((EntityID, EntityID, Int64, String).self)
            {
                entries[user]?.groups?.append(.init(id: id, uid: uid, name: name))
            }
        }
        if parts.contains(.tags) {
            for id in entries.keys { entries[id]?.tags = [] }
            let tags: SQLFragment = """
                SELECT u.user_id, t.id, t.name, t.category FROM user_tags u
                JOIN tags t ON t.application_id = u.application_id AND t.id = u.tag_id
                WHERE u.application_id = \(app) AND u.user_id = ANY(\(ids)) ORDER BY u.user_id, t.name
                """
            for try await (user, id, name, category) in try await self.client.query(tags.query(), logger: logger)
                .decode((EntityID, EntityID, String, String?).self)
            {
                entries[user]?.tags?.append(.init(id: id, name: name, category: category))
            }
        }
        if parts.contains(.attributes) {
            let catalog = try await self.definitions.all(applicationID: app, logger: logger).values
            let defaults = Dictionary(uniqueKeysWithValues: catalog.map { ($0.slug, $0.encrypted ? JSONValue.null : $0.defaultValue ?? .null) })
            let slugs = Dictionary(uniqueKeysWithValues: catalog.map { ($0.id, $0.slug) })
            for id in entries.keys { entries[id]?.attributes = defaults }
            let values: SQLFragment = """
                SELECT user_id, definition_id, value FROM attribute_values WHERE application_id = \(app) AND user_id = ANY(\(ids))
                """
            for try await (user, definition, value) in try await self.client.query(values.query(), logger: logger)
                .decode((EntityID, EntityID, JSONValue?).self)
            {
                // Sealed values (no plain value) stay null: they open only on a single get.
                if let slug = slugs[definition] { entries[user]?.attributes?[slug] = value ?? .null }
            }
        }
        return AudienceLookup.Response(users: Dictionary(uniqueKeysWithValues: entries.map { ($0.key.description, $0.value) }))
    }

    /// Up to `limit` member ids of a group or segment (`table`) after `after`, in id order;
    /// `nil` for an unknown owner.
    func memberIDs(
        _ table: MembershipTable, owner: EntityID, applicationID: EntityID, after: EntityID?, limit: Int, logger: Logger
    ) async throws -> MemberIDPage? {
        let exists: SQLFragment = "SELECT 1 FROM \(identifier: table.ownerTable) WHERE application_id = \(applicationID) AND id = \(owner)"
        guard try await !self.client.query(exists.query(), logger: logger).collect().isEmpty else { return nil }
        let cursor: SQLFragment = after.map { "user_id > \($0)" } ?? "TRUE"
        let select: SQLFragment = """
            SELECT user_id FROM \(identifier: table.table)
            WHERE application_id = \(applicationID) AND \(identifier: table.ownerColumn) = \(owner) AND \(cursor)
            ORDER BY user_id LIMIT \(limit + 1)
            """
        var ids = try await self.client.query(select.query(), logger: logger).decode(EntityID.self).array()
        let more = ids.count > limit
        ids = Array(ids.prefix(limit))
        return MemberIDPage(ids: ids, nextCursor: more ? ids.last : nil)
    }
}
