import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/templates`: the application's message templates (administrators), and the
/// built-in ones at `/api/v1/templates/built-in`.
struct TemplateController: ResourceController {
    let templates: TemplateRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get("built-in") { _, context in
            _ = try context.requireAdmin()
            return try JSONResponses.json(BuiltInList(data: BuiltInTemplates.all))
        }
        self.registerResource(on: group)
    }

    /// The built-in templates (a fixed, short list).
    struct BuiltInList: Encodable {
        var data: [MessageTemplate]
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: TemplateRepository.listSpec)
        let page = try await self.templates.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: MessageTemplateInput.self, context: context)
        var template = MessageTemplate(
            id: .generate(), code: "", name: "", description: nil, subject: "", text: "", html: nil, builtIn: false, createdAt: Date(),
            updatedAt: Date())
        try input.apply(to: &template, creating: true)
        let created = try await self.templates.create(template, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.created(created, location: "/api/v1/templates/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("template")
        guard let template = try await self.templates.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(template)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("template")
        let input = try await request.decodeJSON(as: MessageTemplateInput.self, context: context)
        guard
            let template = try await self.templates.update(
                id, applicationID: principal.applicationID, logger: context.logger, change: { try input.apply(to: &$0, creating: false) })
        else { throw Self.notFound(id) }
        return try JSONResponses.json(template)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("template")
        guard try await self.templates.delete(id, applicationID: principal.applicationID, logger: context.logger) else { throw Self.notFound(id) }
        return JSONResponses.noContent()
    }

    static func notFound(_ id: EntityID) -> Problem {
        .notFound("No template \(id) in this application.")
    }
}
