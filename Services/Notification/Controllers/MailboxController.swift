import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/notifications/mailbox` (administrators): the dev mailbox — emails kept when no SMTP
/// server is configured, and text messages — to read, and to empty.
struct MailboxController: Sendable {
    let mailbox: MailboxRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.list)
        group.delete(use: self.clear)
        group.get(":id", use: self.get)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: MailboxRepository.listSpec)
        let page = try await self.mailbox.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("message")
        guard let message = try await self.mailbox.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No message \(id) in this application's mailbox.")
        }
        return try JSONResponses.json(message)
    }

    @Sendable func clear(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        try await self.mailbox.clear(applicationID: principal.applicationID, logger: context.logger)
        return JSONResponses.noContent()
    }
}
