import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/me/notifications` (seed 004's notification history: the signed-in user's inbox)
/// and the administrators' view, `GET /api/v1/notifications[/{id}]`.
struct InboxController: Sendable {
    let inbox: InboxRepository

    func register(me: RouterGroup<RosterRequestContext>, admin: RouterGroup<RosterRequestContext>) {
        me.get(use: self.mine)
        me.get("unread-count", use: self.unreadCount)
        me.post("read-all", use: self.readAll)
        me.get(":id", use: self.one)
        me.post(":id/read") { try await self.mark($0, context: $1, read: true) }
        me.post(":id/unread") { try await self.mark($0, context: $1, read: false) }
        me.delete(":id", use: self.delete)
        admin.get(use: self.all)
        admin.get(":id", use: self.any)
    }

    @Sendable func mine(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let query = try ListQueryParser.parse(request, spec: InboxRepository.listSpec)
        guard query.filter("userId") == nil else {
            throw Problem.badRequest("userId is for administrators' view (/api/v1/notifications).", code: "invalid_query")
        }
        let page = try await self.inbox.list(query, applicationID: principal.applicationID, userID: userID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    /// `{"unread": n}`.
    struct UnreadCount: Encodable {
        var unread: Int
    }

    @Sendable func unreadCount(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let count = try await self.inbox.unreadCount(userID: userID, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(UnreadCount(unread: count))
    }

    /// The optional body of `read-all`: `{"type": "new_campaign"}` marks only that type's notifications.
    struct ReadAllBody: Decodable {
        var type: String?
    }

    /// `{"updated": n}`.
    struct ReadAllAnswer: Encodable {
        var updated: Int
    }

    @Sendable func readAll(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let body = try await request.decodeJSONIfPresent(as: ReadAllBody.self, context: context)
        let updated = try await self.inbox.markAllRead(
            userID: userID, type: body?.type, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(ReadAllAnswer(updated: updated))
    }

    @Sendable func one(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let id = try context.requireID("notification")
        guard let item = try await self.inbox.find(id, applicationID: principal.applicationID, userID: userID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(item)
    }

    func mark(_ request: Request, context: RosterRequestContext, read: Bool) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let id = try context.requireID("notification")
        guard
            let item = try await self.inbox.mark(id, read: read, userID: userID, applicationID: principal.applicationID, logger: context.logger)
        else { throw Self.notFound(id) }
        return try JSONResponses.json(item)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let id = try context.requireID("notification")
        guard try await self.inbox.delete(id, userID: userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return JSONResponses.noContent()
    }

    @Sendable func all(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: InboxRepository.listSpec)
        let page = try await self.inbox.list(query, applicationID: principal.applicationID, userID: nil, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func any(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("notification")
        guard let item = try await self.inbox.find(id, applicationID: principal.applicationID, userID: nil, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(item)
    }

    static func notFound(_ id: EntityID) -> Problem {
        .notFound("No notification \(id) here.")
    }
}
