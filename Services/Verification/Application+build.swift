import RosterRuntime

/// Wires the verification service. So far it runs the shared runtime only: migrations, health,
/// metrics, its OpenAPI document and the authenticated internal ping.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    ServicePlan(router: runtime.makeRouter(), resources: try ServicePlan.resources(in: .module))
}
