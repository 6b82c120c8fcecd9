import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/attribute-definitions`: the custom attributes of the application (seed 002).
/// Reads are for staff, changes for administrators; `{id}` may also be the slug.
struct AttributeDefinitionController: ResourceController {
    let definitions: AttributeDefinitionRepository

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: AttributeDefinitionRepository.listSpec)
        let page = try await self.definitions.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: AttributeDefinitionInput.self, context: context)
        let created = try await self.definitions.create(try input.makeDefinition(applicationID: principal.applicationID), logger: context.logger)
        return try EntityTag.json(created, version: created.version, status: .created, location: "/api/v1/attribute-definitions/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let reference = try context.parameters.require("id")
        guard let definition = try await self.definitions.find(reference, applicationID: principal.applicationID, logger: context.logger)
        else { throw Self.notFound(reference) }
        return try EntityTag.json(definition, version: definition.version)
    }

    /// PUT and PATCH both change the fields present (`If-Match` guards against lost updates).
    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let reference = try context.parameters.require("id")
        let input = try await request.decodeJSON(as: AttributeDefinitionInput.self, context: context)
        let required = try EntityTag.requiredVersion(request)
        guard
            let updated = try await self.definitions.update(
                reference, applicationID: principal.applicationID, requiredVersion: required, logger: context.logger,
                change: { try input.update(&$0) })
        else { throw Self.notFound(reference) }
        return try EntityTag.json(updated, version: updated.version)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let reference = try context.parameters.require("id")
        guard try await self.definitions.delete(reference, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(reference)
        }
        return JSONResponses.noContent()
    }

    static func notFound(_ reference: String) -> Problem {
        .notFound("No attribute definition \(reference) in this application.")
    }
}
