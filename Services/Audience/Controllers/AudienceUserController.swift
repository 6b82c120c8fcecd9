import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/audience/users/{id}`: the user as audience's projection holds it.
struct AudienceUserController: Sendable {
    let projection: UserProjectionRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(":id", use: self.get)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let text = try context.parameters.require("id")
        guard let id = EntityID(text),
            let user = try await self.projection.find(id, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(text) in this application's audience.") }
        return try JSONResponses.json(user)
    }
}
