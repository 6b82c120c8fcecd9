import RosterRuntime

/// Wires the notification service: the recipients kept from users' events, the type catalog,
/// users' settings, the in-app inbox, and broadcasts fanned out by a job.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let configuration = try NotificationConfiguration(reader: runtime.settings)
    let client = runtime.postgres
    let recipients = RecipientRepository(client: client)
    let types = NotificationTypeRepository(client: client, seedsExamples: configuration.exampleTypes)
    let broadcasts = BroadcastRepository(client: client, jobs: runtime.jobs)
    let pages = RecipientPages(client: client, audience: runtime.internalClient)

    let router = runtime.makeRouter()
    let api = router.group("api/v1").add(middleware: runtime.makeAuthentication())
    NotificationTypeController(types: types).registerResource(on: api.group("notification-types"))
    SettingsController(settings: SettingsRepository(client: client, types: types), recipients: recipients)
        .register(me: api.group("me/notification-settings"), user: api.group("users/:user/notification-settings"))
    let inbox = InboxController(inbox: InboxRepository(client: client))
    inbox.register(me: api.group("me/notifications"), admin: api.group("notifications"))
    BroadcastController(broadcasts: broadcasts, types: types, pages: pages, idempotent: IdempotentWork(client: client))
        .register(broadcasts: api.group("broadcasts"), notifications: api.group("notifications"))
    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        consumer: UserEventConsumer(recipients: recipients),
        jobHandlers: [BroadcastJob(broadcasts: broadcasts, pages: pages)])
}
