import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Groups, their members and the listings of seed 002 (tags, categories).
struct GroupRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    let members: RuleMembers

    static let listSpec = ListQuerySpec(
        sortFields: [
            "name": .init(column: "name", type: .string),
            "uid": .init(column: "uid", type: .integer),
            "memberCount": .init(column: "member_count", type: .integer),
            "createdAt": .init(column: "created_at", type: .timestamp),
            "updatedAt": .init(column: "updated_at", type: .timestamp),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: [
            "status": .choice(["active", "inactive"]), "type": .choice(["static", "dynamic"]), "name": .string, "uid": .integer,
            "tags": .strings, "category": .string, "isDefault": .boolean, "isActive": .boolean,
        ],
        searchable: true)

    static let columns: SQLFragment = """
        id, uid, name, description, category, tags, color, type, rule::text, is_default, is_active, member_count, last_calculated, \
        version, created_at, updated_at
        """

    func list(_ query: ListQuery, applicationID: EntityID, userID: EntityID? = nil, logger: Logger) async throws -> ListPage<Group> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let status) = query.filter("status") { conditions.append("is_active = \(status == "active")") }
        if case .boolean(let flag) = query.filter("isActive") { conditions.append("is_active = \(flag)") }
        if case .boolean(let flag) = query.filter("isDefault") { conditions.append("is_default = \(flag)") }
        if case .string(let type) = query.filter("type") { conditions.append("type = \(type)") }
        if case .integer(let uid) = query.filter("uid") { conditions.append("uid = \(uid)") }
        if case .string(let category) = query.filter("category") { conditions.append("category = \(category)") }
        if case .strings(let tags) = query.filter("tags") { conditions.append("tags && \(tags)::text[]") }
        if case .string(let name) = query.filter("name") {
            conditions.append(.contains(name, in: "name"))
        }
        if let search = query.search {
            conditions.append(.contains(search, in: "name", "description"))
        }
        if let userID {
            conditions.append("id IN (SELECT group_id FROM group_members WHERE application_id = \(applicationID) AND user_id = \(userID))")
        }
        return try await query.load(
            Self.columns, from: "groups", where: conditions, spec: Self.listSpec, client: self.client, logger: logger, decode: Self.decode)
    }

    /// A group by id or numeric uid.
    func find(_ reference: String, applicationID: EntityID, on connection: PostgresConnection? = nil, lock: Bool = false, logger: Logger)
        async throws -> Group?
    {
        let select: SQLFragment =
            "SELECT \(Self.columns) FROM groups WHERE \(Self.matching(reference, applicationID))" + (lock ? " FOR UPDATE" : "")
        if let connection { return try await Self.decode(connection.query(select.query(), logger: logger)).first }
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// Inserts a group; a dynamic one's rule is checked first and its members' calculation queued.
    func insert(_ group: Group, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> Group {
        if let rule = group.rule { try await RuleService.validate(rule, owner: nil, path: "rules", applicationID: applicationID, on: connection, logger: logger) }
        let insert: SQLFragment = """
            INSERT INTO groups (application_id, id, name, description, category, tags, color, type, rule, is_default, is_active)
            VALUES (\(applicationID), \(group.id), \(group.name), \(group.description), \(group.category), \(group.tags), \(group.color),
                \(group.type), \(try group.rule?.jsonText())::jsonb, \(group.isDefault), \(group.isActive))
            RETURNING \(Self.columns)
            """
        let created = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
        try await self.recalculate(created, applicationID: applicationID, on: connection, logger: logger)
        return created
    }

    /// Queues the calculation of a dynamic group's members.
    private func recalculate(_ group: Group, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        guard let rule = group.rule else { return }
        try await RuleRecalculationJob.enqueue(
            [RuleOwner(kind: .group, id: group.id, rule: rule)], applicationID: applicationID, jobs: self.jobs, on: connection, logger: logger)
    }

    /// Changes a group under a row lock, checking `If-Match`; `nil` when unknown. A dynamic
    /// group's changed rule is checked and its members' recalculation queued.
    func update(
        _ reference: String, applicationID: EntityID, requiredVersion: Int?, logger: Logger, change: @Sendable (inout Group) throws -> Void
    ) async throws -> Group? {
        try await self.client.withTransaction(logger: logger) { connection in
            guard var group = try await self.find(reference, applicationID: applicationID, on: connection, lock: true, logger: logger)
            else { return nil }
            try EntityTag.check(required: requiredVersion, current: group.version)
            let before = group.rule
            try change(&group)
            let ruleChanged = group.rule != before
            if ruleChanged, let rule = group.rule {
                try await RuleService.validate(rule, owner: nil, path: "rules", applicationID: applicationID, on: connection, logger: logger)
            }
            let update: SQLFragment = """
                UPDATE groups SET name = \(group.name), description = \(group.description), category = \(group.category),
                    tags = \(group.tags), color = \(group.color), rule = \(try group.rule?.jsonText())::jsonb,
                    is_default = \(group.isDefault), is_active = \(group.isActive), version = version + 1, updated_at = now_ms()
                WHERE application_id = \(applicationID) AND id = \(group.id) RETURNING \(Self.columns)
                """
            let updated = try await Self.decode(connection.query(update.query(), logger: logger)).first
            if ruleChanged, let updated { try await self.recalculate(updated, applicationID: applicationID, on: connection, logger: logger) }
            return updated
        }
    }

    /// Deletes a group and its memberships; `false` when unknown. A dynamic group's members
    /// leave first, so each exit is announced like any other.
    func delete(_ reference: String, applicationID: EntityID, logger: Logger) async throws -> Bool {
        try await self.client.withTransaction(logger: logger) { connection in
            guard let group = try await self.find(reference, applicationID: applicationID, on: connection, lock: true, logger: logger) else {
                return false
            }
            if let rule = group.rule {
                try await self.members.refresh(
                    RuleOwner(kind: .group, id: group.id, rule: rule), condition: "FALSE", users: nil, applicationID: applicationID,
                    on: connection, logger: logger)
            }
            let delete: SQLFragment = "DELETE FROM groups WHERE application_id = \(applicationID) AND id = \(group.id)"
            try await connection.query(delete.query(), logger: logger)
            return true
        }
    }

    /// Recounts a group's members (a repair; the count is kept exact as members change).
    ///
    /// The group row is locked first, which waits for membership changes in flight (their
    /// triggers update that row); the count is then taken by a new statement, which sees them.
    func recount(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Int64? {
        try await self.client.withTransaction(logger: logger) { connection in
            let lock: SQLFragment = "SELECT 1 FROM groups WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE"
            guard try await !connection.query(lock.query(), logger: logger).collect().isEmpty else { return nil }
            let count: SQLFragment = "SELECT count(*) FROM group_members WHERE application_id = \(applicationID) AND group_id = \(id)"
            let members = try await connection.query(count.query(), logger: logger).decode(Int64.self).first(where: { _ in true }) ?? 0
            let update: SQLFragment = """
                UPDATE groups SET member_count = \(members), last_calculated = now_ms()
                WHERE application_id = \(applicationID) AND id = \(id)
                """
            try await connection.query(update.query(), logger: logger)
            return members
        }
    }

    /// Group statistics (`/groups-stats`, seed 000).
    struct Stats: Encodable, Sendable {
        struct Summary: Encodable, Sendable {
            var id: EntityID
            var uid: Int64
            var name: String
            var type: String
            var memberCount: Int64
            var lastCalculated: Date?
        }
        var totalGroups: Int
        var byType: [String: Int]
        var active: Int
        var inactive: Int
        var emptyGroups: Int
        /// Memberships over all groups (a user in two groups counts twice).
        var totalMemberships: Int64
        var averageSize: Double
        var largest: [Summary]
        var recentlyCalculated: [Summary]
    }

    func stats(applicationID: EntityID, logger: Logger) async throws -> Stats {
        let totals: SQLFragment = """
            SELECT count(*)::int, (count(*) FILTER (WHERE type = 'static'))::int, (count(*) FILTER (WHERE type = 'dynamic'))::int,
                (count(*) FILTER (WHERE is_active))::int, (count(*) FILTER (WHERE member_count = 0))::int,
                coalesce(sum(member_count), 0)::bigint, coalesce(avg(member_count), 0)::float8
            FROM groups WHERE application_id = \(applicationID)
            """
        var stats = Stats(
            totalGroups: 0, byType: [:], active: 0, inactive: 0, emptyGroups: 0, totalMemberships: 0, averageSize: 0, largest: [],
            recentlyCalculated: [])
        for try await (total, statics, dynamics, active, empty, members, average) in try await self.client.query(totals.query(), logger: logger)
            .decode((Int, Int, Int, Int, Int, Int64, Double).self)
        {
            stats = Stats(
                totalGroups: total, byType: ["static": statics, "dynamic": dynamics], active: active, inactive: total - active,
                emptyGroups: empty, totalMemberships: members, averageSize: (average * 100).rounded() / 100, largest: [],
                recentlyCalculated: [])
        }
        func summaries(_ order: SQLFragment, _ filter: SQLFragment) async throws -> [Stats.Summary] {
            let select: SQLFragment = """
                SELECT id, uid, name, type, member_count, last_calculated FROM groups
                WHERE application_id = \(applicationID) AND \(filter) ORDER BY \(order) LIMIT 10
                """
            return try await self.client.query(select.query(), logger: logger).decode((EntityID, Int64, String, String, Int64, Date?).self)
                .array().map { Stats.Summary(id: $0.0, uid: $0.1, name: $0.2, type: $0.3, memberCount: $0.4, lastCalculated: $0.5) }
        }
        stats.largest = try await summaries("member_count DESC, id", "TRUE")
        stats.recentlyCalculated = try await summaries("last_calculated DESC, id", "last_calculated IS NOT NULL")
        return stats
    }

    /// Distinct labels of the application's groups (seed 002 group tags).
    func labels(applicationID: EntityID, logger: Logger) async throws -> [String] {
        let select: SQLFragment = """
            SELECT DISTINCT unnest(tags) AS tag FROM groups WHERE application_id = \(applicationID) ORDER BY tag LIMIT 1000
            """
        return try await self.client.query(select.query(), logger: logger).decode(String.self).array()
    }

    /// A category and how many groups it has.
    struct Category: Encodable, Sendable {
        var category: String?
        var groups: Int
    }

    func categories(applicationID: EntityID, logger: Logger) async throws -> [Category] {
        let select: SQLFragment = """
            SELECT category, count(*)::int FROM groups WHERE application_id = \(applicationID) GROUP BY category ORDER BY category NULLS LAST
            """
        return try await self.client.query(select.query(), logger: logger).decode((String?, Int).self).array()
            .map { Category(category: $0.0, groups: $0.1) }
    }

    /// Groups by category (seed 002), at most `perCategory` of each, largest first.
    func byCategory(applicationID: EntityID, perCategory: Int, logger: Logger) async throws -> [String: [Group]] {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM (
                SELECT *, row_number() OVER (PARTITION BY category ORDER BY member_count DESC, id) AS rank
                FROM groups WHERE application_id = \(applicationID)) g
            WHERE rank <= \(perCategory) ORDER BY category, rank
            """
        var result: [String: [Group]] = [:]
        for group in try await Self.decode(self.client.query(select.query(), logger: logger)) {
            result[group.category ?? "", default: []].append(group)
        }
        return result
    }

    static func matching(_ reference: String, _ applicationID: EntityID) -> SQLFragment {
        if let id = EntityID(reference) { return "application_id = \(applicationID) AND id = \(id)" }
        if let uid = Int64(reference), uid > 0 { return "application_id = \(applicationID) AND uid = \(uid)" }
        return "FALSE"
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Group] {
        var groups: [Group] = []
        for try await row in rows {
            let (id, uid, name, description, category, tags, color, type, rule, isDefault, isActive, members, calculated, version, created, updated) =
                try row.decode(
                    (EntityID, Int64, String, String?, String?, [String], String?, String, String?, Bool, Bool, Int64, Date?, Int, Date, Date).self)
            groups.append(
                Group(
                    id: id, uid: uid, name: name, description: description, category: category, tags: tags, color: color, type: type,
                    rule: try rule.map(RuleMembers.decodeRule), isDefault: isDefault, isActive: isActive, memberCount: members, lastCalculated: calculated, version: version,
                    createdAt: created, updatedAt: updated))
        }
        return groups
    }
}
