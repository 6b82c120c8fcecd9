import RosterRuntime

/// Wires the notification service: the recipients kept from users' events, the type catalog,
/// users' settings, the in-app inbox, broadcasts fanned out by a job, templates, and the
/// email/SMS/webhook delivery queue with its dev mailbox.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let configuration = try NotificationConfiguration(reader: runtime.settings)
    let client = runtime.postgres
    let keys = configuration.keys
    let recipients = RecipientRepository(client: client)
    let types = NotificationTypeRepository(client: client, seedsExamples: configuration.exampleTypes)
    let settings = SettingsRepository(client: client, types: types)
    let broadcasts = BroadcastRepository(client: client, jobs: runtime.jobs, deliveryAttempts: configuration.deliveryAttempts)
    let pages = RecipientPages(client: client, audience: runtime.internalClient)
    let templates = TemplateRepository(client: client)
    let mailbox = MailboxRepository(client: client, keys: keys)
    let webhooks = WebhookRepository(client: client, keys: keys)
    let webhookPolicy = WebhookAddressPolicy(allowsPrivateNetworks: configuration.webhookPrivateNetworks)
    let deliveries = DeliveryRepository(client: client, jobs: runtime.jobs, keys: keys, maxAttempts: configuration.deliveryAttempts)
    let delivery = DeliveryJob(
        composer: DeliveryComposer(templates: templates, recipients: recipients, broadcasts: broadcasts, keys: keys), mailbox: mailbox,
        webhooks: webhooks, sender: WebhookSender(http: runtime.http, policy: webhookPolicy),
        smtp: try configuration.smtp.map { try SMTPClient(settings: $0) })

    let router = runtime.makeRouter()
    let api = router.group("api/v1").add(middleware: runtime.makeAuthentication())
    NotificationTypeController(types: types).registerResource(on: api.group("notification-types"))
    TemplateController(templates: templates).register(on: api.group("templates"))
    SettingsController(settings: settings, recipients: recipients)
        .register(me: api.group("me/notification-settings"), user: api.group("users/:user/notification-settings"))
    // The fixed sub-paths come before `notifications/:id`.
    DeliveryController(deliveries: deliveries).register(on: api.group("notifications/deliveries"))
    MailboxController(mailbox: mailbox).register(on: api.group("notifications/mailbox"))
    WebhookController(webhooks: webhooks, policy: webhookPolicy).register(on: api.group("notifications/webhook"))
    let inbox = InboxController(inbox: InboxRepository(client: client))
    inbox.register(me: api.group("me/notifications"), admin: api.group("notifications"))
    BroadcastController(broadcasts: broadcasts, types: types, pages: pages, idempotent: IdempotentWork(client: client))
        .register(broadcasts: api.group("broadcasts"), notifications: api.group("notifications"))
    NotificationInternalController(deliveries: deliveries, templates: templates, settings: settings)
        .register(on: runtime.internalGroup(router))
    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        consumer: UserEventConsumer(recipients: recipients),
        jobHandlers: [BroadcastJob(broadcasts: broadcasts, pages: pages)],
        // Deliveries have their own worker and slots, so thousands of queued emails never
        // wait in front of a broadcast's fan-out (nor the reverse).
        services: [
            JobWorker(
                queue: runtime.jobs, handlers: [delivery], concurrency: configuration.deliveryConcurrency, hub: runtime.hub,
                startup: runtime.startup, logger: runtime.logger)
        ])
}
