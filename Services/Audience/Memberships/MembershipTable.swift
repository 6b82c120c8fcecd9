import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// What one add or remove did, for the client: counts and the ids that matched no user.
struct MembershipChange: Encodable, Sendable {
    var requested: Int
    var added: Int?
    var removed: Int?
    /// Already a member (add) or not a member (remove).
    var unchanged: Int
    var unknownCount: Int
    /// The first 100 ids that are no user of the application.
    var unknownUserIds: [EntityID]
}

/// The users of a tag (`user_tags`), a group (`group_members`) or a segment (`segment_members`),
/// added and removed set-wise.
///
/// Counts on the owner follow through the tables' statement triggers. The owner row is locked
/// first, so concurrent changes of one tag or group take turns instead of deadlocking. Adding
/// and removing re-evaluates the users named against dynamic groups and segments (`rules`) in
/// the same transaction, since rules may test tags and groups.
struct MembershipTable: Sendable {
    let table: String
    let ownerColumn: String
    let ownerTable: String

    static let tags = MembershipTable(table: "user_tags", ownerColumn: "tag_id", ownerTable: "tags")
    static let groups = MembershipTable(table: "group_members", ownerColumn: "group_id", ownerTable: "groups")
    static let segments = MembershipTable(table: "segment_members", ownerColumn: "segment_id", ownerTable: "segments")

    /// Locks the owner row for the transaction: changes of one tag or group run one after the
    /// other (its count row is updated by each anyway), and one deleted meanwhile is a 404.
    func lockOwner(_ owner: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        let lock: SQLFragment = """
            SELECT 1 FROM \(identifier: self.ownerTable) WHERE application_id = \(applicationID) AND id = \(owner) FOR NO KEY UPDATE
            """
        guard try await !connection.query(lock.query(), logger: logger).collect().isEmpty else {
            throw Problem.notFound("No \(self.ownerTable.dropLast()) \(owner) in this application.")
        }
    }

    /// What adding or removing members changes for rules.
    var change: RuleChange { self.ownerTable == "tags" ? .tags : .groups }

    /// Largest list of ids one request may name.
    static let maxIDs = 100_000

    func add(
        _ userIDs: [EntityID], to owner: EntityID, applicationID: EntityID, rules: RuleMembers, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> MembershipChange {
        try await self.lockOwner(owner, applicationID: applicationID, on: connection, logger: logger)
        let sql: SQLFragment = Self.inputs(userIDs, applicationID: applicationID) + """
            inserted AS (
                INSERT INTO \(identifier: self.table) (application_id, \(identifier: self.ownerColumn), user_id)
                SELECT \(applicationID), \(owner), user_id FROM known
                ON CONFLICT DO NOTHING RETURNING user_id)
            SELECT (SELECT count(*) FROM input), (SELECT count(*) FROM known), (SELECT count(*) FROM inserted),
                (SELECT coalesce(array_agg(user_id), '{}') FROM (SELECT user_id FROM input EXCEPT SELECT user_id FROM known LIMIT 100) x)
            """
        let (requested, known, inserted, unknown) = try await Self.single(connection.query(sql.query(), logger: logger))
        if inserted > 0 { try await rules.refresh(users: userIDs, after: self.change, applicationID: applicationID, on: connection, logger: logger) }
        return MembershipChange(
            requested: requested, added: inserted, unchanged: known - inserted, unknownCount: requested - known, unknownUserIds: unknown)
    }

    func remove(
        _ userIDs: [EntityID], from owner: EntityID, applicationID: EntityID, rules: RuleMembers, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> MembershipChange {
        try await self.lockOwner(owner, applicationID: applicationID, on: connection, logger: logger)
        let sql: SQLFragment = Self.inputs(userIDs, applicationID: applicationID) + """
            deleted AS (
                DELETE FROM \(identifier: self.table)
                WHERE application_id = \(applicationID) AND \(identifier: self.ownerColumn) = \(owner)
                    AND user_id IN (SELECT user_id FROM input)
                RETURNING user_id)
            SELECT (SELECT count(*) FROM input), (SELECT count(*) FROM known), (SELECT count(*) FROM deleted),
                (SELECT coalesce(array_agg(user_id), '{}') FROM (SELECT user_id FROM input EXCEPT SELECT user_id FROM known LIMIT 100) x)
            """
        let (requested, known, deleted, unknown) = try await Self.single(connection.query(sql.query(), logger: logger))
        if deleted > 0 { try await rules.refresh(users: userIDs, after: self.change, applicationID: applicationID, on: connection, logger: logger) }
        return MembershipChange(
            requested: requested, removed: deleted, unchanged: known - deleted, unknownCount: requested - known, unknownUserIds: unknown)
    }

    /// The statements' common start: `input` (the distinct ids given) and `known` (those of them that are users of the application).
    private static func inputs(_ userIDs: [EntityID], applicationID: EntityID) -> SQLFragment {
        """
        WITH input AS (SELECT DISTINCT unnest(\(userIDs)::uuid[]) AS user_id),
        known AS (
            SELECT i.user_id FROM input i
            JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = i.user_id),

        """
    }

    private static func single(_ rows: PostgresRowSequence) async throws -> (Int, Int, Int, [EntityID]) {
        for try await row in rows { return try row.decode((Int, Int, Int, [EntityID]).self) }
        return (0, 0, 0, [])
    }
}

/// The `{"userIds": [...]}` body of add/remove and assign/unassign.
struct UserIDList: Decodable, Sendable {
    var userIds: [EntityID]

    enum CodingKeys: String, CodingKey { case userIds }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let texts = try container.decode([String].self, forKey: .userIds)
        guard (1...MembershipTable.maxIDs).contains(texts.count) else {
            throw Problem.validation(
                "userIds must list 1 to \(MembershipTable.maxIDs) ids.",
                errors: [.init(field: "userIds", code: "invalid", message: "1 to \(MembershipTable.maxIDs) ids")])
        }
        var ids: [EntityID] = []
        ids.reserveCapacity(texts.count)
        for (index, text) in texts.enumerated() {
            guard let id = EntityID(text) else {
                throw Problem.validation(
                    "userIds[\(index)] is not an id.", errors: [.init(field: "userIds[\(index)]", code: "invalid", message: "must be a UUID")])
            }
            ids.append(id)
        }
        self.userIds = ids
    }
}
