import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/audience/users`: users as audience's projection holds them, and the search over
/// profile fields, tags, groups and searchable attributes.
struct AudienceUserController: Sendable {
    let projection: UserProjectionRepository
    let search: AudienceUserSearch

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.list)
        group.get(":id", use: self.get)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let (query, page) = try await self.search.search(request, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        guard let user = try await self.projection.find(id, applicationID: principal.applicationID, logger: context.logger)
        else { throw UserProjectionRepository.unknownUser(id) }
        return try JSONResponses.json(user)
    }
}
