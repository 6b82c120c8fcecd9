import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Segments of each application. Saving one checks its rule against the catalog (in the same
/// transaction as the write, so a segment it names cannot vanish meanwhile) and queues the
/// recalculation of its members and of every rule that includes it.
struct SegmentRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    let members: RuleMembers

    static let listSpec = ListQuerySpec(
        sortFields: [
            "name": .init(column: "name", type: .string),
            "userCount": .init(column: "user_count", type: .integer),
            "createdAt": .init(column: "created_at", type: .timestamp),
            "updatedAt": .init(column: "updated_at", type: .timestamp),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["isActive": .boolean, "name": .string],
        searchable: true)

    static let columns: SQLFragment = """
        id, name, description, rule::text, is_active, user_count, last_calculated, version, created_at, updated_at
        """

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Segment> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .boolean(let flag) = query.filter("isActive") { conditions.append("is_active = \(flag)") }
        if case .string(let name) = query.filter("name") { conditions.append(.contains(name, in: "name")) }
        if let search = query.search { conditions.append(.contains(search, in: "name", "description")) }
        return try await query.load(
            Self.columns, from: "segments", where: conditions, spec: Self.listSpec, client: self.client, logger: logger, decode: Self.decode)
    }

    func find(_ id: EntityID, applicationID: EntityID, on connection: PostgresConnection? = nil, lock: Bool = false, logger: Logger)
        async throws -> Segment?
    {
        let select: SQLFragment =
            "SELECT \(Self.columns) FROM segments WHERE application_id = \(applicationID) AND id = \(id)" + (lock ? " FOR UPDATE" : "")
        if let connection { return try await Self.decode(connection.query(select.query(), logger: logger)).first }
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// Inserts a segment whose rule compiles, and queues the calculation of its members.
    func create(_ segment: Segment, applicationID: EntityID, logger: Logger) async throws -> Segment {
        try await self.client.withTransaction(logger: logger) { connection in
            try await RuleService.validate(segment.rule, owner: segment.id, applicationID: applicationID, on: connection, logger: logger)
            let insert: SQLFragment = """
                INSERT INTO segments (application_id, id, name, description, rule, is_active)
                VALUES (\(applicationID), \(segment.id), \(segment.name), \(segment.description), \(try segment.rule.jsonText())::jsonb,
                    \(segment.isActive))
                RETURNING \(Self.columns)
                """
            let created = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
            try await RuleRecalculationJob.enqueue(
                [RuleOwner(kind: .segment, id: created.id, rule: created.rule)], applicationID: applicationID, jobs: self.jobs,
                on: connection, logger: logger)
            return created
        }
    }

    /// Changes a segment under a row lock, checking `If-Match`; `nil` when unknown. A changed
    /// rule queues the recalculation of the segment and of every rule that includes it.
    func update(
        _ id: EntityID, applicationID: EntityID, requiredVersion: Int?, logger: Logger, change: @Sendable (inout Segment) throws -> Void
    ) async throws -> Segment? {
        try await self.client.withTransaction(logger: logger) { connection -> Segment? in
            guard var segment = try await self.find(id, applicationID: applicationID, on: connection, lock: true, logger: logger)
            else { return nil }
            try EntityTag.check(required: requiredVersion, current: segment.version)
            let before = segment.rule
            try change(&segment)
            let ruleChanged = segment.rule != before
            if ruleChanged {
                try await RuleService.validate(segment.rule, owner: segment.id, applicationID: applicationID, on: connection, logger: logger)
            }
            let update: SQLFragment = """
                UPDATE segments SET name = \(segment.name), description = \(segment.description), rule = \(try segment.rule.jsonText())::jsonb,
                    is_active = \(segment.isActive), version = version + 1, updated_at = now_ms()
                WHERE application_id = \(applicationID) AND id = \(segment.id) RETURNING \(Self.columns)
                """
            let updated = try await Self.decode(connection.query(update.query(), logger: logger))[0]
            if ruleChanged {
                let owners = try await RuleMembers.owners(applicationID: applicationID, on: connection, logger: logger)
                let catalog = try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: logger)
                let affected = owners.filter { $0.id == segment.id || catalog.includes($0.rule, segment: segment.id) }
                // The rules naming this segment must still compile with its new rule (depth, size).
                let compiler = RuleCompiler(catalog: catalog, now: Date())
                for owner in affected where owner.id != segment.id {
                    do throws(RuleProblems) {
                        _ = try compiler.compile(owner.rule, owner: owner.kind == .segment ? owner.id : nil)
                    } catch {
                        var problem = error.problem
                        problem.detail = "The \(owner.kind.rawValue) \(owner.id) names this segment, and its rule would no longer be valid: "
                            + problem.detail
                        throw problem
                    }
                }
                try await RuleRecalculationJob.enqueue(affected, applicationID: applicationID, jobs: self.jobs, on: connection, logger: logger)
            }
            return updated
        }
    }

    /// Deletes a segment and its members (each exit announced); `false` when unknown, 409 while
    /// a rule includes it.
    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        try await self.client.withTransaction(logger: logger) { connection in
            guard let segment = try await self.find(id, applicationID: applicationID, on: connection, lock: true, logger: logger) else {
                return false
            }
            let owners = try await RuleMembers.owners(applicationID: applicationID, on: connection, logger: logger)
            let users = owners.filter { $0.rule.includeSegments.contains(id) || $0.rule.excludeSegments.contains(id) }
            if !users.isEmpty {
                let names = users.map { "\($0.kind.rawValue) \($0.id)" }.joined(separator: ", ")
                throw Problem.conflict(
                    "Segment \(segment.name) is named by the rules of \(names); change those rules first.", code: "segment_in_use")
            }
            try await self.members.refresh(
                RuleOwner(kind: .segment, id: id, rule: segment.rule), condition: "FALSE", users: nil, applicationID: applicationID,
                on: connection, logger: logger)
            let delete: SQLFragment = "DELETE FROM segments WHERE application_id = \(applicationID) AND id = \(id)"
            try await connection.query(delete.query(), logger: logger)
            return true
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Segment] {
        var segments: [Segment] = []
        for try await row in rows {
            let (id, name, description, rule, active, users, calculated, version, created, updated) = try row.decode(
                (EntityID, String, String?, String, Bool, Int64, Date?, Int, Date, Date).self)
            segments.append(
                Segment(
                    id: id, name: name, description: description, rule: try RuleMembers.decodeRule(rule), isActive: active, userCount: users,
                    lastCalculated: calculated, version: version, createdAt: created, updatedAt: updated))
        }
        return segments
    }
}
