import Foundation
import RosterRuntime

/// Wires the audience service: the user projection fed by events, attributes, tags, groups,
/// segments and their rules, the bulk and recalculation jobs, and the search over all of them.
func buildPlan(_ runtime: ServiceRuntime) async throws -> ServicePlan {
    let configuration = try AudienceConfiguration(reader: runtime.settings)
    let client = runtime.postgres
    // Audience announces membership changes of dynamic groups and segments; no service subscribes yet.
    let outbox = Outbox(source: .audience, routes: [])
    let members = RuleMembers(outbox: outbox)
    let projection = UserProjectionRepository(client: client)
    let definitions = AttributeDefinitionRepository(client: client, jobs: runtime.jobs)
    let values = AttributeValueRepository(client: client, sealer: configuration.sealer, members: members)
    let tags = TagRepository(client: client)
    let groups = GroupRepository(client: client, jobs: runtime.jobs, members: members)
    let rules = RuleService(client: client, jobs: runtime.jobs, members: members)

    let router = runtime.makeRouter(bulkEndpoints: ["add-users", "remove-users", "assign", "unassign", "user-attributes"])
    let api = router.group("api/v1").add(middleware: runtime.makeAuthentication())
    let search = AudienceUserSearch(client: runtime.readPostgres, definitions: definitions)
    AudienceUserController(projection: projection, search: search)
        .register(on: api.group("audience/users"))
    AudienceJobController(jobs: runtime.jobs, client: client).register(on: api.group("audience/jobs"))
    AttributeDefinitionController(definitions: definitions).registerResource(on: api.group("attribute-definitions"))
    UserAttributeController(definitions: definitions, values: values, projection: projection)
        .register(admin: api.group("users/:user/attributes"), me: api.group("me/attributes"))
    BulkAttributeController(definitions: definitions, jobs: runtime.jobs, sealer: configuration.sealer).register(on: api.group("user-attributes"))
    TagController(tags: tags, projection: projection, rules: rules)
        .register(tags: api.group("tags"), stats: api.group("tags-stats"), user: api.group("users/:user/tags"))
    GroupController(groups: groups, jobs: runtime.jobs, projection: projection, rules: rules)
        .register(groups: api.group("groups"), stats: api.group("groups-stats"), user: api.group("users/:user/groups"))
    SegmentController(segments: SegmentRepository(client: client, jobs: runtime.jobs, members: members), rules: rules).register(on: api.group("segments"))
    AudienceInternalController(
        lookups: AudienceLookupRepository(client: client, definitions: definitions), search: search,
        assignments: AudienceAssignments(client: client, members: members, definitions: definitions, values: values))
        .register(on: runtime.internalGroup(router))
    return ServicePlan(
        router: router,
        resources: try ServicePlan.resources(in: .module),
        outbox: outbox,
        consumer: UserEventConsumer(projection: projection, members: members),
        jobHandlers: [
            AttributeIndexJob(client: client),
            BulkAttributeJob(client: client, definitions: definitions, values: values),
            GroupRecountJob(groups: groups),
            RuleRecalculationJob(client: client, members: members),
        ],
        services: [
            RuleTimeRefresh(
                client: client, jobs: runtime.jobs, startup: runtime.startup, interval: configuration.timeRefreshSeconds,
                logger: runtime.logger)
        ])
}
