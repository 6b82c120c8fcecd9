import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Tags, their users, merging and statistics.
struct TagRepository: Sendable {
    let client: PostgresClient

    static let listSpec = ListQuerySpec(
        sortFields: [
            "name": .init(column: "name", type: .string),
            "createdAt": .init(column: "created_at", type: .timestamp),
            "usageCount": .init(column: "usage_count", type: .integer),
        ],
        defaultSort: [SortKey("name")],
        filters: ["category": .string, "isSystem": .boolean],
        searchable: true)

    static let columns: SQLFragment = "id, name, category, color, description, is_system, usage_count, created_at, updated_at"

    func list(_ query: ListQuery, applicationID: EntityID, userID: EntityID? = nil, logger: Logger) async throws -> ListPage<Tag> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let category) = query.filter("category") { conditions.append("category = \(category)") }
        if case .boolean(let flag) = query.filter("isSystem") { conditions.append("is_system = \(flag)") }
        if let search = query.search {
            conditions.append(.contains(search, in: "name"))
        }
        if let userID {
            conditions.append("id IN (SELECT tag_id FROM user_tags WHERE application_id = \(applicationID) AND user_id = \(userID))")
        }
        return try await query.load(
            Self.columns, from: "tags", where: conditions, spec: Self.listSpec, client: self.client, logger: logger, decode: Self.decode)
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Tag? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM tags WHERE application_id = \(applicationID) AND id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func create(_ tag: Tag, applicationID: EntityID, logger: Logger) async throws -> Tag {
        try await self.translatingConflicts {
            let insert: SQLFragment = """
                INSERT INTO tags (application_id, id, name, category, color, description, is_system)
                VALUES (\(applicationID), \(tag.id), \(tag.name), \(tag.category), \(tag.color), \(tag.description), \(tag.isSystem))
                RETURNING \(Self.columns)
                """
            return try await Self.decode(self.client.query(insert.query(), logger: logger))[0]
        }
    }

    /// Changes a tag under a row lock (system tags refuse renames in the database); `nil` when unknown.
    func update(_ id: EntityID, applicationID: EntityID, logger: Logger, change: @Sendable (inout Tag) throws -> Void) async throws -> Tag? {
        try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                let select: SQLFragment = "SELECT \(Self.columns) FROM tags WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE"
                guard var tag = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
                try change(&tag)
                let update: SQLFragment = """
                    UPDATE tags SET name = \(tag.name), category = \(tag.category), color = \(tag.color), description = \(tag.description),
                        is_system = \(tag.isSystem), updated_at = now_ms()
                    WHERE application_id = \(applicationID) AND id = \(id) RETURNING \(Self.columns)
                    """
                return try await Self.decode(connection.query(update.query(), logger: logger)).first
            }
        }
    }

    /// Deletes a tag and its assignments; `false` when unknown (system tags refuse in the database).
    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM tags WHERE application_id = \(applicationID) AND id = \(id) RETURNING id"
        return try await !self.client.query(delete.query(), logger: logger).collect().isEmpty
    }

    /// The result of a merge: the target as it is now and what moved.
    struct MergeResult: Encodable, Sendable {
        var target: Tag
        var mergedTagIds: [EntityID]
        /// Assignments copied to the target (users who already had it are not counted).
        var movedAssignments: Int
    }

    /// Moves the sources' users to the target and deletes the sources, in one transaction:
    /// any failure (an unknown or system source among them) leaves everything as it was.
    func merge(sources: [EntityID], into target: EntityID, applicationID: EntityID, logger: Logger) async throws -> MergeResult {
        try await self.client.withTransaction(logger: logger) { connection in
            let all = ([target] + sources).sorted()
            let lock: SQLFragment = """
                SELECT id FROM tags WHERE application_id = \(applicationID) AND id = ANY(\(all)) ORDER BY id FOR UPDATE
                """
            let found = Set(try await connection.query(lock.query(), logger: logger).decode(EntityID.self).array())
            let missing = all.filter { !found.contains($0) }
            guard missing.isEmpty else {
                throw Problem.notFound("No tag \(missing.map(\.description).joined(separator: ", ")) in this application.")
            }
            let copy: SQLFragment = """
                INSERT INTO user_tags (application_id, tag_id, user_id)
                SELECT DISTINCT \(applicationID), \(target), user_id FROM user_tags
                WHERE application_id = \(applicationID) AND tag_id = ANY(\(sources))
                ORDER BY 3
                ON CONFLICT DO NOTHING RETURNING user_id
                """
            let moved = try await connection.query(copy.query(), logger: logger).collect().count
            // Deleting the sources removes their assignments (cascade); a system tag stops it here.
            try await connection.query(
                "DELETE FROM tags WHERE application_id = \(applicationID) AND id = ANY(\(sources))", logger: logger)
            let select: SQLFragment = "SELECT \(Self.columns) FROM tags WHERE application_id = \(applicationID) AND id = \(target)"
            let merged = try await Self.decode(connection.query(select.query(), logger: logger))[0]
            return MergeResult(target: merged, mergedTagIds: sources, movedAssignments: moved)
        }
    }

    /// Tag statistics (`/tags-stats`).
    struct Stats: Encodable, Sendable {
        struct Category: Encodable, Sendable {
            var category: String?
            var tags: Int
            var assignments: Int64
        }
        struct Top: Encodable, Sendable {
            var id: EntityID
            var name: String
            var usageCount: Int64
        }
        var totalTags: Int
        var systemTags: Int
        var unusedTags: Int
        var totalAssignments: Int64
        var taggedUsers: Int
        var byCategory: [Category]
        var topTags: [Top]
    }

    func stats(applicationID: EntityID, logger: Logger) async throws -> Stats {
        let totals: SQLFragment = """
            SELECT count(*)::int, (count(*) FILTER (WHERE is_system))::int, (count(*) FILTER (WHERE usage_count = 0))::int,
                coalesce(sum(usage_count), 0)::bigint,
                (SELECT count(DISTINCT user_id) FROM user_tags WHERE application_id = \(applicationID))::int
            FROM tags WHERE application_id = \(applicationID)
            """
        var stats = Stats(totalTags: 0, systemTags: 0, unusedTags: 0, totalAssignments: 0, taggedUsers: 0, byCategory: [], topTags: [])
        for try await (total, system, unused, assignments, users) in try await self.client.query(totals.query(), logger: logger)
            .decode((Int, Int, Int, Int64, Int).self)
        {
            stats.totalTags = total
            stats.systemTags = system
            stats.unusedTags = unused
            stats.totalAssignments = assignments
            stats.taggedUsers = users
        }
        let categories: SQLFragment = """
            SELECT category, count(*)::int, coalesce(sum(usage_count), 0)::bigint FROM tags WHERE application_id = \(applicationID)
            GROUP BY category ORDER BY category NULLS LAST
            """
        for try await (category, tags, assignments) in try await self.client.query(categories.query(), logger: logger)
            .decode((String?, Int, Int64).self)
        {
            stats.byCategory.append(.init(category: category, tags: tags, assignments: assignments))
        }
        let top: SQLFragment = """
            SELECT id, name, usage_count FROM tags WHERE application_id = \(applicationID) ORDER BY usage_count DESC, id LIMIT 10
            """
        for try await (id, name, usage) in try await self.client.query(top.query(), logger: logger).decode((EntityID, String, Int64).self) {
            stats.topTags.append(.init(id: id, name: name, usageCount: usage))
        }
        return stats
    }

    private func translatingConflicts<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "tags_name_unique") {
            throw Problem.conflict("A tag with this name already exists.", code: "duplicate_tag")
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Tag] {
        var tags: [Tag] = []
        for try await (id, name, category, color, description, isSystem, usage, created, updated) in rows.decode(
            (EntityID, String, String?, String?, String?, Bool, Int64, Date, Date).self)
        {
            tags.append(
                Tag(
                    id: id, name: name, category: category, color: color, description: description, isSystem: isSystem, usageCount: usage,
                    createdAt: created, updatedAt: updated))
        }
        return tags
    }
}
