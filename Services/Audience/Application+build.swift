import Foundation
import RosterRuntime

/// Wires the audience service: the user projection fed by events, and its read API.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let projection = UserProjectionRepository(client: runtime.postgres)
    let router = runtime.makeRouter()
    let api = router.group("api/v1").add(middleware: runtime.makeAuthentication())
    AudienceUserController(projection: projection).register(on: api.group("audience/users"))
    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        consumer: UserEventConsumer(projection: projection))
}
