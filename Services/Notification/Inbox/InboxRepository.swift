import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The in-app inbox: listing, unread counts and read marks.
struct InboxRepository: Sendable {
    let client: PostgresClient

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["unread": .boolean, "type": .string, "userId": .id])

    static let columns: SQLFragment = "id, user_id, type_code, title, message, data, read_at, created_at, broadcast_id"

    /// A page of one user's notifications, or (`userID` nil, administrators) of the application's.
    func list(_ query: ListQuery, applicationID: EntityID, userID: EntityID?, logger: Logger) async throws -> ListPage<InboxNotification> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if let userID {
            conditions.append("user_id = \(userID)")
        } else if case .id(let user) = query.filter("userId") {
            conditions.append("user_id = \(user)")
        }
        if case .boolean(let unread) = query.filter("unread") { conditions.append(unread ? "read_at IS NULL" : "read_at IS NOT NULL") }
        if case .string(let type) = query.filter("type") { conditions.append("type_code = \(type)") }
        return try await query.load(
            Self.columns, from: "notifications", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    func find(_ id: EntityID, applicationID: EntityID, userID: EntityID?, logger: Logger) async throws -> InboxNotification? {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM notifications
            WHERE application_id = \(applicationID) AND id = \(id) AND (\(userID)::uuid IS NULL OR user_id = \(userID))
            """
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func unreadCount(userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> Int {
        let select: SQLFragment = """
            SELECT count(*) FROM notifications WHERE application_id = \(applicationID) AND user_id = \(userID) AND read_at IS NULL
            """
        return try await self.client.query(select.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
    }

    /// Marks one of the user's notifications read or unread; `nil` when the user has no such notification.
    func mark(_ id: EntityID, read: Bool, userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> InboxNotification? {
        let update: SQLFragment = """
            UPDATE notifications SET read_at = CASE WHEN \(read) THEN coalesce(read_at, now_ms()) END
            WHERE application_id = \(applicationID) AND user_id = \(userID) AND id = \(id)
            RETURNING \(Self.columns)
            """
        return try await Self.decode(self.client.query(update.query(), logger: logger)).first
    }

    /// Marks every unread notification of the user read (of one type, when given); how many changed.
    func markAllRead(userID: EntityID, type: String?, applicationID: EntityID, logger: Logger) async throws -> Int {
        let update: SQLFragment = """
            WITH changed AS (
                UPDATE notifications SET read_at = now_ms()
                WHERE application_id = \(applicationID) AND user_id = \(userID) AND read_at IS NULL
                    AND (\(type)::text IS NULL OR type_code = \(type))
                RETURNING 1
            )
            SELECT count(*) FROM changed
            """
        return try await self.client.query(update.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
    }

    func delete(_ id: EntityID, userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = """
            DELETE FROM notifications WHERE application_id = \(applicationID) AND user_id = \(userID) AND id = \(id) RETURNING 1
            """
        return try await !self.client.query(delete.query(), logger: logger).collect().isEmpty
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [InboxNotification] {
        var items: [InboxNotification] = []
        for try await (id, user, type, title, message, data, readAt, created, broadcast) in rows.decode(
            (EntityID, EntityID, String, String, String, JSONValue, Date?, Date, EntityID?).self)
        {
            items.append(
                InboxNotification(
                    id: id, userId: user, type: type, title: title, message: message, data: data, read: readAt != nil, readAt: readAt,
                    createdAt: created, broadcastId: broadcast))
        }
        return items
    }
}
