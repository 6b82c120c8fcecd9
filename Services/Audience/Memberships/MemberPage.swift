import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// A member of a group or segment as the members lists show it.
struct Member: Encodable, Sendable {
    var userId: EntityID
    var email: String?
    var phone: String?
    var username: String?
    var firstName: String?
    var lastName: String?
    var type: String
    var status: String
    var addedAt: Date
}

/// `GET /groups/{id}/users` and `/segments/{id}/users`: members in id order with `next`/`prev`
/// cursors (seed 002), and `q`.
struct MemberPage: Encodable, Sendable {
    struct Pagination: Encodable, Sendable {
        var limit: Int
        /// The owner's member count; `nil` when `q` narrows the list.
        var total: Int64?
        var hasNext: Bool
        var hasPrevious: Bool
        var nextCursor: String?
        var prevCursor: String?
    }

    var data: [Member]
    var pagination: Pagination

    /// The request's paging: `limit` (or `page_size`), `cursor`, `direction=next|prev`, `q`.
    struct Request: Sendable {
        var limit = 20
        var cursor: EntityID?
        var backwards = false
        var search: String?

        init(_ request: Hummingbird.Request) throws {
            let parameters = request.uri.queryParameters
            if let text = parameters.get("limit") ?? parameters.get("page_size") ?? parameters.get("perPage") {
                guard let limit = Int(text), (1...100).contains(limit) else {
                    throw Problem.badRequest("Query parameter limit must be a whole number from 1 to 100.", code: "invalid_query")
                }
                self.limit = limit
            }
            if let text = parameters.get("cursor"), !text.isEmpty {
                guard let data = Base64URL.decode(text), let id = EntityID(String(decoding: data, as: UTF8.self)) else {
                    throw Problem.badRequest("Query parameter cursor is not a cursor this list issued.", code: "invalid_query")
                }
                self.cursor = id
            }
            switch parameters.get("direction") {
            case nil, "next": self.backwards = false
            case "prev": self.backwards = true
            default: throw Problem.badRequest("Query parameter direction must be next or prev.", code: "invalid_query")
            }
            if let text = parameters.get("q") ?? parameters.get("search") {
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                guard trimmed.count <= 200, !trimmed.contains("\u{0}") else {
                    throw Problem.badRequest("Query parameter q must be at most 200 characters.", code: "invalid_query")
                }
                self.search = trimmed.isEmpty ? nil : trimmed
            }
        }
    }

    static func cursor(_ id: EntityID) -> String { Base64URL.encode(Data(id.description.utf8)) }

    /// The page of `owner`'s members in `table`, which has `total` of them.
    static func load(
        _ table: MembershipTable, owner: EntityID, total: Int64, applicationID: EntityID, request: Request, client: PostgresClient,
        logger: Logger
    ) async throws -> MemberPage {
        var conditions: [SQLFragment] = ["m.application_id = \(applicationID)", "m.\(identifier: table.ownerColumn) = \(owner)"]
        if let cursor = request.cursor { conditions.append(request.backwards ? "m.user_id < \(cursor)" : "m.user_id > \(cursor)") }
        if let search = request.search {
            conditions.append(.contains(search, in: "p.email", "p.first_name", "p.last_name", "p.username", "p.phone"))
        }
        let select: SQLFragment = """
            SELECT p.user_id, p.email, p.phone, p.username, p.first_name, p.last_name, p.type, p.status, m.added_at
            FROM \(identifier: table.table) m JOIN user_projection p ON p.application_id = m.application_id AND p.user_id = m.user_id
            WHERE \(SQLFragment.all(conditions))
            ORDER BY m.user_id
            """ + (request.backwards ? " DESC" : " ASC") + " LIMIT \(request.limit + 1)"
        var members: [Member] = []
        for try await (id, email, phone, username, first, last, type, status, added) in try await client.query(select.query(), logger: logger)
            .decode((EntityID, String?, String?, String?, String?, String?, String, String, Date).self)
        {
            members.append(
                Member(
                    userId: id, email: email, phone: phone, username: username, firstName: first, lastName: last, type: type, status: status,
                    addedAt: added))
        }
        let more = members.count > request.limit
        members = Array(members.prefix(request.limit))
        if request.backwards { members.reverse() }
        let hasNext = request.backwards ? request.cursor != nil : more
        let hasPrevious = request.backwards ? more : request.cursor != nil
        return MemberPage(
            data: members,
            pagination: .init(
                limit: request.limit, total: request.search == nil ? total : nil, hasNext: hasNext, hasPrevious: hasPrevious,
                nextCursor: hasNext ? members.last.map { Self.cursor($0.userId) } : nil,
                prevCursor: hasPrevious ? (members.first.map { Self.cursor($0.userId) } ?? request.cursor.map(Self.cursor)) : nil))
    }
}
