import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RosterProtocol
import RosterRuntime

/// Presence (seed 003): heartbeats, online users, whether a user is online, the current URL,
/// and generated avatars.
struct PresenceController: Sendable {
    let presence: PresenceRepository
    let users: UserRepository

    func register(presence: RouterGroup<RosterRequestContext>, users: RouterGroup<RosterRequestContext>) {
        presence.post("heartbeat", use: self.heartbeat)
        presence.get("online", use: self.online)
        users.get(":id/presence", use: self.state)
        users.get(":id/current-url", use: self.currentURL)
        users.put(":id/current-url", use: self.setCurrentURL)
        users.get(":id/avatar.svg", use: self.userAvatar)
        users.get("avatar.svg", use: self.avatar)
    }

    /// `{"userId"?, "url"?}`: the user is seen now. Signed-in users beat for themselves; staff and
    /// API keys name the user.
    struct Heartbeat: Decodable, Sendable {
        var userId: EntityID?
        var url: String?
    }

    @Sendable func heartbeat(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(as: Heartbeat.self, context: context)
        let userID = try Self.subject(principal, named: body.userId)
        let url = try Self.url(body.url)
        guard try await self.presence.heartbeat(userID, url: url, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(userID) in this application.")
        }
        return JSONResponses.noContent()
    }

    /// The users online now (seed 003 get-online-users), in both list dialects.
    @Sendable func online(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: PresenceRepository.onlineSpec)
        let page = try await self.presence.online(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    /// `{online, lastSeenAt, currentUrl}` (seed 003 is-online): staff, or the user themselves.
    @Sendable func state(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, id) = try self.readable(context)
        guard let state = try await self.presence.state(of: id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return try JSONResponses.json(state)
    }

    /// `{"url"}`: the current or last visited URL, `null` when none is known.
    @Sendable func currentURL(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, id) = try self.readable(context)
        guard let state = try await self.presence.state(of: id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return try JSONResponses.json(["url": state.currentUrl])
    }

    struct URLBody: Decodable, Sendable {
        var url: String
    }

    /// Sets the current URL (staff, or the user themselves) without marking the user seen.
    @Sendable func setCurrentURL(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, id) = try self.readable(context)
        let body = try await request.decodeJSON(as: URLBody.self, context: context)
        guard let url = try Self.url(body.url) else {
            throw Problem.validation("The URL is not valid.", errors: [.init(field: "url", code: "required", message: "must not be empty")])
        }
        guard try await self.presence.setURL(id, url: url, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return try JSONResponses.json(["url": url])
    }

    /// A user's generated avatar (staff, or the user themselves).
    @Sendable func userAvatar(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, id) = try self.readable(context)
        guard let user = try await self.users.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        let initials = AvatarSVG.initials(
            firstName: user.profile.firstName, lastName: user.profile.lastName, fallback: user.profile.username ?? user.profile.email)
        return Self.svg(AvatarSVG.render(initials: initials, seed: id.description))
    }

    /// An avatar for a name (seed 003 get-avatar: `firstName` required, `lastName` optional).
    @Sendable func avatar(_ request: Request, context: RosterRequestContext) async throws -> Response {
        _ = try context.requirePrincipal()
        let parameters = request.uri.queryParameters
        let first = parameters.get("firstName").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        let last = parameters.get("lastName")
        guard (1...100).contains(first.count), (last?.count ?? 0) <= 100 else {
            throw Problem.invalidQuery(first.isEmpty || first.count > 100 ? "firstName" : "lastName", "must have 1 to 100 characters")
        }
        let initials = AvatarSVG.initials(firstName: first, lastName: last)
        return Self.svg(AvatarSVG.render(initials: initials, seed: first + " " + (last ?? "")))
    }

    /// The principal and the user id of the path, when the principal may see that user's presence.
    private func readable(_ context: RosterRequestContext) throws -> (Principal, EntityID) {
        let principal = try context.requirePrincipal()
        let id = try context.requireID("user")
        guard principal.isStaff || principal.userID == id else { throw Problem.notFound("No user \(id) in this application.") }
        return (principal, id)
    }

    /// The user a presence call is about: the signed-in user, or the one staff name.
    static func subject(_ principal: Principal, named userID: EntityID?) throws -> EntityID {
        if let userID, principal.isStaff || principal.userID == userID { return userID }
        if userID == nil, let own = principal.userID { return own }
        if userID == nil {
            throw Problem.validation("Name the user.", errors: [.init(field: "userId", code: "required", message: "required with an API key")])
        }
        throw Problem.forbidden("Users may report only their own presence.")
    }

    /// A URL of up to 2,048 characters without control characters; `nil` when absent or empty.
    static func url(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.count <= 2_048, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.validation(
                "The URL is not valid.", errors: [.init(field: "url", code: "invalid", message: "at most 2048 characters, no control characters")])
        }
        return text
    }

    private static func svg(_ document: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "image/svg+xml"
        headers[.cacheControl] = "private, max-age=86400"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document)))
    }
}
