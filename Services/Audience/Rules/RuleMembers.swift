import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// What changed for some users: decides which rules may now answer differently for them.
enum RuleChange: Sendable {
    /// New users: any rule may match them, even one without criteria.
    case created
    /// Profile fields or engagement counters.
    case profile
    /// Values of these attributes (slugs).
    case attributes([String])
    case tags, groups

    /// Whether a rule testing `field` may answer differently after this change (`created`: any rule).
    func concerns(_ field: String) -> Bool {
        switch self {
        case .created: true
        case .profile: !field.isEmpty && !field.hasPrefix("attributes.") && field != "tags" && field != "groups"
        case .attributes(let slugs): slugs.contains { field == "attributes.\($0)" }
        case .tags: field == "tags"
        case .groups: field == "groups"
        }
    }
}

/// A dynamic group or a segment: an owner of members its rule decides.
struct RuleOwner: Sendable {
    enum Kind: String, Sendable {
        case group, segment

        var table: MembershipTable { self == .group ? .groups : .segments }
    }

    var kind: Kind
    var id: EntityID
    var rule: Rule
}

/// Keeps the materialized members of dynamic groups and segments equal to what their rules
/// say, inside the caller's transaction: for all users (a recalculation) or for the users a
/// change touched (incremental). Each entry and exit is announced by
/// `audience.membership_changed` (one event per thousand users) written by the same statement.
struct RuleMembers: Sendable {
    let outbox: Outbox

    /// What rules of the application can refer to, read on `connection`.
    static func catalog(applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> RuleCatalog {
        let definitions: SQLFragment = """
            SELECT \(AttributeDefinitionRepository.columns) FROM attribute_definitions WHERE application_id = \(applicationID)
            """
        let decoded = try await AttributeDefinitionRepository.decode(connection.query(definitions.query(), logger: logger))
        let segments: SQLFragment = "SELECT id, name, rule::text FROM segments WHERE application_id = \(applicationID)"
        var entries: [EntityID: RuleCatalog.SegmentEntry] = [:]
        for try await (id, name, rule) in try await connection.query(segments.query(), logger: logger).decode((EntityID, String, String).self) {
            entries[id] = .init(name: name, rule: try Self.decodeRule(rule))
        }
        return RuleCatalog(
            definitions: Dictionary(decoded.map { ($0.slug, $0) }, uniquingKeysWith: { first, _ in first }), segments: entries)
    }

    /// Every dynamic group and segment of the application, in id order (the order their rows are locked in).
    static func owners(applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> [RuleOwner] {
        let select: SQLFragment = """
            SELECT 'group', id, rule::text FROM groups WHERE application_id = \(applicationID) AND type = 'dynamic'
            UNION ALL SELECT 'segment', id, rule::text FROM segments WHERE application_id = \(applicationID)
            ORDER BY 2
            """
        var owners: [RuleOwner] = []
        for try await (kind, id, rule) in try await connection.query(select.query(), logger: logger).decode((String, EntityID, String).self) {
            owners.append(RuleOwner(kind: kind == "group" ? .group : .segment, id: id, rule: try Self.decodeRule(rule)))
        }
        return owners
    }

    /// 409 `attribute_in_use` when a dynamic group's or segment's rule tests the attribute
    /// (directly or through a segment it names): deleting it, or making it unsearchable, would
    /// leave that rule unable to run.
    static func refuseIfTested(
        _ definition: AttributeDefinition, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let owners = try await Self.owners(applicationID: applicationID, on: connection, logger: logger)
        guard !owners.isEmpty else { return }
        let catalog = try await Self.catalog(applicationID: applicationID, on: connection, logger: logger)
        let users = owners.filter { catalog.tests($0.rule, field: "attributes.\(definition.slug)") }
        guard !users.isEmpty else { return }
        let names = users.prefix(10).map { "\($0.kind.rawValue) \($0.id)" }.joined(separator: ", ")
        throw Problem.conflict(
            "The rules of \(names) test attributes.\(definition.slug); change them first.", code: "attribute_in_use")
    }

    static func decodeRule(_ text: String) throws -> Rule {
        try JSONDecoder().decode(Rule.self, from: Data(text.utf8))
    }

    /// The owners with these ids, locked in id order (groups, then segments) and read again
    /// under the lock, so the rule evaluated is the one in force until the transaction ends.
    static func lock(_ owners: [RuleOwner], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws
        -> [RuleOwner]
    {
        var locked: [RuleOwner] = []
        for kind in [RuleOwner.Kind.group, .segment] {
            let ids = owners.filter { $0.kind == kind }.map(\.id)
            guard !ids.isEmpty else { continue }
            let select: SQLFragment = """
                SELECT id, rule::text FROM \(identifier: kind.table.ownerTable)
                WHERE application_id = \(applicationID) AND id = ANY(\(ids)) AND rule IS NOT NULL
                ORDER BY id FOR NO KEY UPDATE
                """
            for try await (id, rule) in try await connection.query(select.query(), logger: logger).decode((EntityID, String).self) {
                locked.append(RuleOwner(kind: kind, id: id, rule: try Self.decodeRule(rule)))
            }
        }
        return locked
    }

    /// Re-evaluates the given users against the dynamic groups and segments of the application
    /// whose rules test what `change` changed (directly or through the segments they name). A
    /// stored rule that no longer compiles leaves its members as they are, with a warning.
    func refresh(users: [EntityID], after change: RuleChange, applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !users.isEmpty else { return }
        let all = try await Self.owners(applicationID: applicationID, on: connection, logger: logger)
        guard !all.isEmpty else { return }
        let catalog = try await Self.catalog(applicationID: applicationID, on: connection, logger: logger)
        let concerned = all.filter { change.concerns("") || catalog.tests($0.rule, where: change.concerns) }
        let owners = try await Self.lock(concerned, applicationID: applicationID, on: connection, logger: logger)
        let compiler = RuleCompiler(catalog: catalog, now: Date())
        for owner in owners {
            let compiled: CompiledRule
            do {
                compiled = try compiler.compile(owner.rule, owner: owner.kind == .segment ? owner.id : nil)
            } catch {
                logger.warning("a stored rule no longer compiles", metadata: ["owner": "\(owner.kind.rawValue) \(owner.id)"])
                continue
            }
            try await self.refresh(owner, condition: compiled.condition, users: users, applicationID: applicationID, on: connection, logger: logger)
        }
    }

    /// Removes the users from every dynamic group and segment (before they are deleted).
    func removeEverywhere(users: [EntityID], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        let all = try await Self.owners(applicationID: applicationID, on: connection, logger: logger)
        for owner in try await Self.lock(all, applicationID: applicationID, on: connection, logger: logger) {
            try await self.refresh(owner, condition: "FALSE", users: users, applicationID: applicationID, on: connection, logger: logger)
        }
    }

    /// Makes `owner`'s members those of the users in scope (all when `users` is nil) who meet
    /// `condition`; returns how many entered and left.
    @discardableResult
    func refresh(
        _ owner: RuleOwner, condition: SQLFragment, users: [EntityID]?, applicationID: EntityID, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (added: Int, removed: Int) {
        let table = owner.kind.table
        try await table.lockOwner(owner.id, applicationID: applicationID, on: connection, logger: logger)
        let memberScope: SQLFragment = users.map { "AND m.user_id = ANY(\($0))" } ?? ""
        let userScope: SQLFragment = users.map { "AND p.user_id = ANY(\($0))" } ?? ""
        let remove: SQLFragment = """
            WITH changed AS (
                DELETE FROM \(identifier: table.table) m
                WHERE m.application_id = \(applicationID) AND m.\(identifier: table.ownerColumn) = \(owner.id) \(memberScope)
                    AND NOT EXISTS (SELECT 1 FROM user_projection p WHERE p.application_id = m.application_id AND p.user_id = m.user_id
                        AND \(condition))
                RETURNING m.user_id),
            """ + self.events(owner, change: "removed", applicationID: applicationID) + " SELECT count(*)::int FROM changed"
        let add: SQLFragment = """
            WITH changed AS (
                INSERT INTO \(identifier: table.table) (application_id, \(identifier: table.ownerColumn), user_id)
                SELECT p.application_id, \(owner.id), p.user_id FROM user_projection p
                WHERE p.application_id = \(applicationID) \(userScope) AND \(condition)
                ON CONFLICT DO NOTHING
                RETURNING user_id),
            """ + self.events(owner, change: "added", applicationID: applicationID) + " SELECT count(*)::int FROM changed"
        let removed = try await connection.query(remove.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        let added = try await connection.query(add.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        if added + removed > 0 { try await self.outbox.wake(on: connection, logger: logger) }
        return (added, removed)
    }

    /// The event CTEs announcing the rows of `changed`, a thousand users per event.
    private func events(_ owner: RuleOwner, change: String, applicationID: EntityID) -> SQLFragment {
        self.outbox.eventCTEs(
            .membershipChanged,
            rows: """
                SELECT \(applicationID)::uuid, \(owner.id)::uuid, jsonb_build_object('ownerType', \(owner.kind.rawValue)::text,
                    'ownerId', \(owner.id)::uuid, 'change', \(change)::text, 'userIds', jsonb_agg(user_id))
                FROM (SELECT user_id, (row_number() OVER () - 1) / 1000 AS chunk FROM changed) c GROUP BY chunk
                """)
    }
}
