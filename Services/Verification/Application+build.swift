import RosterRuntime

/// Wires the verification service: the users it knows from users' events, the requests with
/// their hashed codes, the admin API, the internal API for users, and the job that hands codes
/// to the notification service.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let configuration = try VerificationConfiguration(reader: runtime.settings, serviceSecret: runtime.configuration.serviceSecret)
    let client = runtime.postgres
    let users = KnownUserRepository(client: client)
    let requests = VerificationRequestRepository(client: client, jobs: runtime.jobs, configuration: configuration)

    let router = runtime.makeRouter()
    let api = router.group("api/v1").add(middleware: runtime.makeAuthentication())
    VerificationAdminController(requests: requests, users: users, idempotent: IdempotentWork(client: client), configuration: configuration)
        .register(requests: api.group("verification-requests"), types: api.group("verification-request-types"))
    VerificationInternalController(requests: requests).register(on: runtime.internalGroup(router))
    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        consumer: UserEventConsumer(users: users),
        jobHandlers: [CodeDeliveryJob(requests: requests, notification: runtime.internalClient, configuration: configuration)])
}
