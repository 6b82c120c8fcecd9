import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// A broadcast's recipient ids, page by page in id order after a cursor: listed ids and "all"
/// from notification's own tables, group and segment members streamed from audience's
/// internal API (`…/member-ids`) — never one call per user.
struct RecipientPages: Sendable {
    let client: PostgresClient
    let audience: InternalClient
    /// Recipients written per transaction.
    static let size = 10_000

    /// One page; `isLast` when nothing follows it.
    struct Page: Sendable {
        var ids: [EntityID]
        var isLast: Bool
    }

    /// The page after `cursor`, or `nil` when the group or segment no longer exists.
    func page(_ broadcast: BroadcastState, after cursor: EntityID?, logger: Logger) async throws -> Page? {
        switch broadcast.targetKind {
        case .users:
            let select: SQLFragment = """
                SELECT listed.user_id FROM broadcasts, unnest(broadcasts.target_user_ids) AS listed(user_id)
                WHERE broadcasts.application_id = \(broadcast.applicationID) AND broadcasts.id = \(broadcast.id)
                    AND (\(cursor)::uuid IS NULL OR listed.user_id > \(cursor))
                ORDER BY listed.user_id LIMIT \(Self.size + 1)
                """
            return try await self.local(select, logger: logger)
        case .all:
            let select: SQLFragment = """
                SELECT user_id FROM recipients
                WHERE application_id = \(broadcast.applicationID) AND (\(cursor)::uuid IS NULL OR user_id > \(cursor))
                ORDER BY user_id LIMIT \(Self.size + 1)
                """
            return try await self.local(select, logger: logger)
        case .group, .segment:
            guard let owner = broadcast.targetID else { return nil }
            guard
                let page = try await self.members(
                    of: broadcast.targetKind, owner, applicationID: broadcast.applicationID, after: cursor, limit: Self.size)
            else { return nil }
            return Page(ids: page.ids, isLast: page.nextCursor == nil)
        }
    }

    /// Whether the group or segment exists in the application (asked of audience, one id long).
    func exists(_ kind: Broadcast.TargetKind, _ owner: EntityID, applicationID: EntityID) async throws -> Bool {
        try await self.members(of: kind, owner, applicationID: applicationID, after: nil, limit: 1) != nil
    }

    /// A page of a group's or segment's member ids from audience; `nil` when it does not exist.
    private func members(of kind: Broadcast.TargetKind, _ owner: EntityID, applicationID: EntityID, after cursor: EntityID?, limit: Int)
        async throws -> MemberIDPage?
    {
        var path = "/internal/v1/audience/\(kind == .group ? "groups" : "segments")/\(owner)/member-ids"
        path += "?applicationId=\(applicationID)&limit=\(limit)"
        if let cursor { path += "&after=\(cursor)" }
        do {
            return try await self.audience.call(.audience, .GET, path, idempotent: true, as: MemberIDPage.self)
        } catch InternalCallError.rejected(_, 404, _) {
            return nil
        }
    }

    private func local(_ select: SQLFragment, logger: Logger) async throws -> Page {
        var ids = try await self.client.query(select.query(), logger: logger).decode(EntityID.self).array()
        let isLast = ids.count <= Self.size
        if !isLast { ids.removeLast() }
        return Page(ids: ids, isLast: isLast)
    }
}
