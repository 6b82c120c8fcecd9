import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Applies `AudienceAssignment` requests (the users service's imports and bulk updates):
/// memberships are added and removed set-wise — one statement per table and direction, however
/// many tags and groups are named — and attribute values written set-wise, all in one
/// transaction, with dynamic groups and segments refreshed for the users that changed.
///
/// Tags are named; a missing one is created. Groups are named by id, uid or name and must be
/// static; the others are reported back and left alone. Attribute values are checked against
/// their definitions first: one that breaks a rule refuses the whole call (422), nothing
/// changed. Owners are taken in id order, so two calls naming the same tags take turns instead
/// of deadlocking.
struct AudienceAssignments: Sendable {
    let client: PostgresClient
    let members: RuleMembers
    let definitions: AttributeDefinitionRepository
    let values: AttributeValueRepository

    /// The users to add to and remove from each owner reference.
    private struct Plan {
        var adds: [String: [EntityID]] = [:]
        var removes: [String: [EntityID]] = [:]

        mutating func note(_ references: [String]?, user: EntityID, adding: Bool) {
            for reference in references ?? [] {
                if adding { self.adds[reference, default: []].append(user) } else { self.removes[reference, default: []].append(user) }
            }
        }

        var references: Set<String> { Set(self.adds.keys).union(self.removes.keys) }

        /// The (owner, user) pairs to add and remove, for the references that resolved to `ids`.
        func pairs(_ ids: [String: EntityID]) -> MembershipPairs {
            var pairs = MembershipPairs()
            for (reference, users) in self.adds {
                guard let owner = ids[reference] else { continue }
                pairs.addOwners += Array(repeating: owner, count: users.count)
                pairs.addUsers += users
            }
            for (reference, users) in self.removes {
                guard let owner = ids[reference] else { continue }
                pairs.removeOwners += Array(repeating: owner, count: users.count)
                pairs.removeUsers += users
            }
            return pairs
        }
    }

    func apply(_ request: AudienceAssignment.Request, logger: Logger) async throws -> AudienceAssignment.Response {
        guard request.changes.count <= AudienceAssignment.maxChanges else {
            throw Problem.validation(
                "changes holds at most \(AudienceAssignment.maxChanges) entries.",
                errors: [.init(field: "changes", code: "invalid", message: "at most \(AudienceAssignment.maxChanges)")])
        }
        var tags = Plan(), groups = Plan()
        for change in request.changes {
            tags.note(try Self.tagNames(change.addTags), user: change.userId, adding: true)
            tags.note(try Self.tagNames(change.removeTags), user: change.userId, adding: false)
            groups.note(change.addGroups, user: change.userId, adding: true)
            groups.note(change.removeGroups, user: change.userId, adding: false)
        }
        let application = request.applicationId
        let writes = try await self.attributeWrites(request.changes, applicationID: application, logger: logger)
        return try await self.client.withTransaction(logger: logger) { connection in
            let (tagIDs, created) = try await self.resolveTags(
                tags.references, creating: Set(tags.adds.keys), applicationID: application, on: connection, logger: logger)
            let (groupIDs, refusals) = try await self.resolveGroups(groups.references, applicationID: application, on: connection, logger: logger)
            let tagPairs = tags.pairs(tagIDs), groupPairs = groups.pairs(groupIDs)
            // Every owner is locked first, tags then groups, each in id order: two calls naming the
            // same owners take turns, and rules are refreshed only after all of them are held.
            for (table, pairs) in [(MembershipTable.tags, tagPairs), (MembershipTable.groups, groupPairs)] where !pairs.owners.isEmpty {
                try await table.lockOwners(pairs.owners, applicationID: application, on: connection, logger: logger)
            }
            var added = 0, removed = 0
            for (table, pairs) in [(MembershipTable.tags, tagPairs), (MembershipTable.groups, groupPairs)] where !pairs.owners.isEmpty {
                let (inserted, deleted, changed) = try await table.apply(pairs, applicationID: application, on: connection, logger: logger)
                added += inserted
                removed += deleted
                try await self.members.refresh(users: changed, after: table.change, applicationID: application, on: connection, logger: logger)
            }
            let named = Array(Set(request.changes.map(\.userId)))
            let missing: SQLFragment = """
                SELECT u FROM unnest(\(named)::uuid[]) AS u
                WHERE NOT EXISTS (SELECT 1 FROM user_projection p WHERE p.application_id = \(application) AND p.user_id = u)
                ORDER BY u LIMIT 100
                """
            var unknown = Set(try await connection.query(missing.query(), logger: logger).decode(EntityID.self).array())
            let skipped = writes.isEmpty ? [] : try await self.values.upsert(writes, applicationID: application, by: "bulk", on: connection, logger: logger)
            unknown.formUnion(skipped)
            return AudienceAssignment.Response(
                added: added, removed: removed, unknownUserIds: Array(unknown.sorted { $0.description < $1.description }.prefix(100)),
                createdTags: created.sorted(), refusedGroups: refusals.sorted { $0.reference < $1.reference },
                attributesWritten: writes.filter { !skipped.contains($0.userID) }.count)
        }
    }

    /// The attribute values to write, checked against their definitions; 422 naming every
    /// unknown attribute and broken rule.
    private func attributeWrites(
        _ changes: [AudienceAssignment.Change], applicationID: EntityID, logger: Logger
    ) async throws -> [AttributeValueRepository.Write] {
        guard changes.contains(where: { !($0.attributes ?? [:]).isEmpty }) else { return [] }
        let catalog = try await self.definitions.all(applicationID: applicationID, logger: logger)
        var validators: [String: AttributeValidator] = [:]
        var writes: [AttributeValueRepository.Write] = []
        var errors: [String: Problem.FieldError] = [:]
        for change in changes {
            for (slug, raw) in change.attributes ?? [:] {
                guard let definition = catalog[slug] else {
                    errors["attributes.\(slug)"] = .init(field: "attributes.\(slug)", code: "unknown_attribute", message: "no such attribute")
                    continue
                }
                let validator = validators[slug] ?? AttributeValidator(definition)
                validators[slug] = validator
                switch validator.coerce(raw) {
                case .success(let value?): writes.append(.init(userID: change.userId, definition: definition, value: value))
                case .success(nil): continue
                case .failure(let error): errors[error.field] = error
                }
            }
        }
        if errors.isEmpty, writes.contains(where: { $0.definition.rules.regex != nil }) {
            let broken = try await self.client.withTransaction(logger: logger) { connection in
                try await AttributePatterns.broken(writes, on: connection, logger: logger)
            }
            for error in broken.values { errors[error.field] = error }
        }
        guard errors.isEmpty else {
            let sorted = errors.values.sorted { $0.field < $1.field }
            throw Problem.validation(sorted.map(\.message).joined(separator: "; ") + ".", errors: sorted)
        }
        return writes
    }

    /// Tag names as given, trimmed; 422 for an empty or over-long one.
    private static func tagNames(_ names: [String]?) throws -> [String]? {
        try names?.map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(trimmed.count) else {
                throw Problem.validation(
                    "Tag names have 1 to 100 characters.", errors: [.init(field: "changes", code: "invalid_tag", message: "1 to 100 characters")])
            }
            return trimmed
        }
    }

    /// Tag ids by the names given (case-insensitively); the names in `creating` that no tag
    /// has are created. Returns the ids and the names created.
    private func resolveTags(
        _ names: Set<String>, creating: Set<String>, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> ([String: EntityID], [String]) {
        guard !names.isEmpty else { return ([:], []) }
        let created: SQLFragment = """
            INSERT INTO tags (application_id, id, name)
            SELECT DISTINCT ON (lower(n)) \(applicationID), gen_random_uuid(), n FROM unnest(\(Array(creating))::text[]) AS n
            ON CONFLICT DO NOTHING RETURNING name
            """
        let new = try await connection.query(created.query(), logger: logger).decode(String.self).array()
        let select: SQLFragment = """
            SELECT n, t.id FROM unnest(\(Array(names))::text[]) AS n
            JOIN tags t ON t.application_id = \(applicationID) AND lower(t.name) = lower(n)
            """
        var ids: [String: EntityID] = [:]
        for try await (name, id) in try await connection.query(select.query(), logger: logger).decode((String, EntityID).self) {
            ids[name] = id
        }
        return (ids, new)
    }

    /// Group ids by reference (id, uid or name, in that order of precedence), and the
    /// references refused: unknown, ambiguous names, dynamic groups.
    private func resolveGroups(
        _ references: Set<String>, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> ([String: EntityID], [AudienceAssignment.GroupRefusal]) {
        guard !references.isEmpty else { return ([:], []) }
        // Each reference as given, with the id and uid it may spell ('' and 0 when it spells none).
        let given = Array(references)
        let select: SQLFragment = """
            SELECT r.reference, g.id, g.type, CASE WHEN g.id = NULLIF(r.id, '')::uuid THEN 0 WHEN g.uid = r.uid THEN 1 ELSE 2 END
            FROM unnest(\(given)::text[], \(given.map { EntityID($0)?.description ?? "" })::text[],
                \(given.map { Int64($0).map { max(0, $0) } ?? 0 })::int8[]) AS r(reference, id, uid)
            JOIN groups g ON g.application_id = \(applicationID)
                AND (g.id = NULLIF(r.id, '')::uuid OR g.uid = r.uid OR lower(g.name) = lower(r.reference))
            """
        var matches: [String: [(id: EntityID, type: String, precedence: Int)]] = [:]
        for try await (reference, id, type, precedence) in try await connection.query(select.query(), logger: logger)
            .decode((String, EntityID, String, Int).self)
        {
            matches[reference, default: []].append((id, type, precedence))
        }
        var resolved: [String: EntityID] = [:]
        var refusals: [AudienceAssignment.GroupRefusal] = []
        for reference in references {
            let found = matches[reference] ?? []
            let best = found.filter { $0.precedence == found.map(\.precedence).min() }
            if best.isEmpty {
                refusals.append(.init(reference: reference, reason: "unknown"))
            } else if best.count > 1 {
                refusals.append(.init(reference: reference, reason: "ambiguous"))
            } else if best[0].type != "static" {
                refusals.append(.init(reference: reference, reason: "dynamic"))
            } else {
                resolved[reference] = best[0].id
            }
        }
        return (resolved, refusals)
    }
}
