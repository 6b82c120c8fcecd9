import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/conversations/{conversationId}/...` (seed 003): typing status with an expiry,
/// activity, and the last user or agent active in a conversation. Signed-in users act for
/// themselves; staff and API keys name the user.
struct ConversationController: Sendable {
    let conversations: ConversationRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.put(":conversation/typing", use: self.startTyping)
        group.delete(":conversation/typing", use: self.stopTyping)
        group.get(":conversation/typing", use: self.typing)
        group.post(":conversation/activity", use: self.activity)
        group.get(":conversation/last-participant", use: self.last)
    }

    /// `{"userId"?}`.
    struct Subject: Decodable, Sendable {
        var userId: EntityID?
    }

    @Sendable func startTyping(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.touch(request, context: context, typing: true)
    }

    /// Stops typing; the user is named by `?userId=` (staff) or is the signed-in user.
    @Sendable func stopTyping(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let conversation = try Self.conversation(context)
        let userID = try PresenceController.subject(principal, named: try request.idParameter("userId"))
        guard try await self.conversations.touch(conversation, userID: userID, typing: false, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(userID) in this application.") }
        return JSONResponses.noContent()
    }

    /// A message or other activity of the user in the conversation.
    @Sendable func activity(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.touch(request, context: context, typing: nil)
    }

    /// `{"typing":[participants]}`: those typing now; `agents=true` keeps agents, `userId=` one user
    /// (seed 003 is-typing and is-agent-typing).
    @Sendable func typing(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let conversation = try Self.conversation(context)
        let agents = try request.flagParameter("agents") ?? false
        var found = try await self.conversations.typing(
            conversation, agents: agents, userID: try request.idParameter("userId"), applicationID: principal.applicationID, logger: context.logger)
        // End users see who types, not their email addresses.
        if !principal.isStaff { found = found.map { var participant = $0; participant.email = nil; return participant } }
        return try JSONResponses.json(["typing": found])
    }

    /// The user (or with `agent=true` the agent) last active in the conversation (seed 003 get-user-from-conversation).
    @Sendable func last(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let conversation = try Self.conversation(context)
        let agent = try request.flagParameter("agent") ?? false
        guard let found = try await self.conversations.last(conversation, agent: agent, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No \(agent ? "agent" : "user") has been active in conversation \(conversation).") }
        return try JSONResponses.json(found)
    }

    private func touch(_ request: Request, context: RosterRequestContext, typing: Bool?) async throws -> Response {
        let principal = try context.requirePrincipal()
        let conversation = try Self.conversation(context)
        let body = try await request.decodeJSON(as: Subject.self, context: context)
        let userID = try PresenceController.subject(principal, named: body.userId)
        guard try await self.conversations.touch(conversation, userID: userID, typing: typing, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(userID) in this application.") }
        return JSONResponses.noContent()
    }

    static func conversation(_ context: RosterRequestContext) throws -> String {
        let text = try context.parameters.require("conversation")
        guard ConversationRepository.validID(text) else {
            throw Problem.badRequest(
                "A conversation id has 1 to 128 letters, digits, _ . : or -.", code: "invalid_path",
                errors: [.init(field: "conversationId", code: "invalid", message: "1 to 128 of A-Z a-z 0-9 _ . : -")])
        }
        return text
    }
}
