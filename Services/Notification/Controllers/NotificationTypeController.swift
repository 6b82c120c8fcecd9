import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/notification-types`: the catalog of notification types (read by anyone signed in,
/// changed by administrators).
struct NotificationTypeController: ResourceController {
    let types: NotificationTypeRepository

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = try ListQueryParser.parse(request, spec: NotificationTypeRepository.listSpec)
        let page = try await self.types.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: NotificationTypeInput.self, context: context)
        var type = NotificationType(
            id: .generate(), code: "", name: "", description: nil, defaultEnabled: true, channels: [.inApp, .email], critical: false,
            createdAt: Date(), updatedAt: Date())
        try input.apply(to: &type, creating: true)
        let created = try await self.types.create(type, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.created(created, location: "/api/v1/notification-types/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.requireID("notification type")
        guard let type = try await self.types.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(type)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("notification type")
        let input = try await request.decodeJSON(as: NotificationTypeInput.self, context: context)
        guard
            let type = try await self.types.update(
                id, applicationID: principal.applicationID, logger: context.logger, change: { try input.apply(to: &$0, creating: false) })
        else { throw Self.notFound(id) }
        return try JSONResponses.json(type)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("notification type")
        guard try await self.types.delete(id, applicationID: principal.applicationID, logger: context.logger) else { throw Self.notFound(id) }
        return JSONResponses.noContent()
    }

    static func notFound(_ id: EntityID) -> Problem {
        .notFound("No notification type \(id) in this application.")
    }
}
