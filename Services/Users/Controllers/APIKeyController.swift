import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/api-keys`: the application's API keys (administrators).
struct APIKeyController: Sendable {
    let repository: APIKeyRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.delete(":id", use: self.revoke)
    }

    /// The secret is in this answer only; afterwards only its prefix identifies the key.
    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: CreateAPIKeyRequest.self, context: context)
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw Problem.validation("name is required.", errors: [.init(field: "name", code: "invalid_value", message: "1 to 100 characters")])
        }
        let (record, key) = try await self.repository.create(name: name, scope: "admin", applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.created(
            CreatedAPIKey(id: record.id, name: record.name, prefix: record.prefix, scope: record.scope, createdAt: record.createdAt, key: key.text),
            location: "/api/v1/api-keys/\(record.id)")
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: APIKeyRepository.listSpec)
        let page = try await self.repository.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func revoke(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("API key")
        if case .apiKey(let current, _) = principal.credential, current == id {
            throw Problem.conflict("A key cannot revoke itself; use another administrator key.", code: "own_key")
        }
        guard try await self.repository.revoke(
            id, applicationID: principal.applicationID, allowingSuperuser: principal.isSuperuser, logger: context.logger) != nil
        else { throw Problem.notFound("No API key \(id) in this application.") }
        return JSONResponses.noContent()
    }
}
