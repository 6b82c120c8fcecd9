import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Memberships of many owners at once — users import and bulk-update changes
/// (`AudienceAssignments`) — as parallel arrays of owners and users to add and remove.
struct MembershipPairs: Sendable {
    var addOwners: [EntityID] = [], addUsers: [EntityID] = []
    var removeOwners: [EntityID] = [], removeUsers: [EntityID] = []

    /// Every owner named, once each.
    var owners: [EntityID] { Set(self.addOwners + self.removeOwners).sorted { $0.description < $1.description } }
}

extension MembershipTable {
    /// Locks the owners' rows for the transaction, in id order, so calls naming the same owners
    /// take turns instead of deadlocking (the many-owner `lockOwner`; owners gone meanwhile are
    /// simply not locked).
    func lockOwners(_ owners: [EntityID], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        let lock: SQLFragment = """
            SELECT 1 FROM \(identifier: self.ownerTable) WHERE application_id = \(applicationID) AND id = ANY(\(owners))
            ORDER BY id FOR NO KEY UPDATE
            """
        try await connection.query(lock.query(), logger: logger)
    }

    /// Adds and removes the pairs' memberships, one statement each (users audience does not
    /// know are left out); the counts and the users whose memberships changed. The caller holds
    /// the owners' locks and refreshes rules for the users returned.
    func apply(
        _ pairs: MembershipPairs, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (added: Int, removed: Int, users: [EntityID]) {
        var changed = Set<EntityID>()
        var added = 0, removed = 0
        if !pairs.addOwners.isEmpty {
            let insert: SQLFragment = """
                INSERT INTO \(identifier: self.table) (application_id, \(identifier: self.ownerColumn), user_id)
                SELECT DISTINCT \(applicationID), x.owner, x.user_id
                FROM unnest(\(pairs.addOwners)::uuid[], \(pairs.addUsers)::uuid[]) AS x(owner, user_id)
                JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = x.user_id
                ON CONFLICT DO NOTHING RETURNING user_id
                """
            let users = try await connection.query(insert.query(), logger: logger).decode(EntityID.self).array()
            added = users.count
            changed.formUnion(users)
        }
        if !pairs.removeOwners.isEmpty {
            let delete: SQLFragment = """
                DELETE FROM \(identifier: self.table) t
                USING (SELECT DISTINCT owner, user_id FROM unnest(\(pairs.removeOwners)::uuid[], \(pairs.removeUsers)::uuid[]) AS x(owner, user_id)) x
                WHERE t.application_id = \(applicationID) AND t.\(identifier: self.ownerColumn) = x.owner AND t.user_id = x.user_id
                RETURNING t.user_id
                """
            let users = try await connection.query(delete.query(), logger: logger).decode(EntityID.self).array()
            removed = users.count
            changed.formUnion(users)
        }
        return (added, removed, changed.sorted { $0.description < $1.description })
    }
}
