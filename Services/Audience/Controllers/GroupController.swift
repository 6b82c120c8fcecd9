import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/groups` and `/api/v1/users/{id}/groups` (seeds 000, 002): static groups and their
/// members (by ids or a CSV upload), dynamic groups (rules, recalculation, explain), listings
/// by label and category. `{id}` may be the uid.
struct GroupController: Sendable {
    let groups: GroupRepository
    let jobs: JobQueue
    let projection: UserProjectionRepository
    let rules: RuleService

    func register(
        groups group: RouterGroup<RosterRequestContext>, stats: RouterGroup<RosterRequestContext>, user: RouterGroup<RosterRequestContext>
    ) {
        stats.get(use: self.stats)
        group.get(use: self.list)
        group.post(use: self.create)
        group.post("import", use: self.createFromCSV)
        group.get("tags", use: self.labels)
        group.get("categories", use: self.categories)
        group.get("by-category", use: self.byCategory)
        group.get(":id", use: self.get)
        group.put(":id", use: self.update)
        group.patch(":id", use: self.update)
        group.delete(":id", use: self.delete)
        group.get(":id/users", use: self.members)
        group.post(":id/add-users", use: self.addUsers)
        group.post(":id/remove-users", use: self.removeUsers)
        group.post(":id/import", use: self.importUsers)
        group.post(":id/refresh", use: self.refresh)
        group.post(":id/recalculate", use: self.recalculate)
        group.get(":id/explain", use: self.explain)
        user.get(use: self.userGroups)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: GroupRepository.listSpec)
        let page = try await self.groups.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    private static func newGroup(_ input: GroupInput) throws -> Group {
        var group = Group(
            id: .generate(), uid: 0, name: "", description: nil, category: nil, tags: [], color: nil, type: "static", rule: nil,
            isDefault: false,
            isActive: true, memberCount: 0, lastCalculated: nil, version: 1, createdAt: Date(), updatedAt: Date())
        try input.apply(to: &group, creating: true)
        return group
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let group = try Self.newGroup(try await request.decodeJSON(as: GroupInput.self, context: context))
        let created = try await self.groups.client.withTransaction(logger: context.logger) { connection in
            try await self.groups.insert(group, applicationID: principal.applicationID, on: connection, logger: context.logger)
        }
        return try EntityTag.json(created, version: created.version, status: .created, location: "/api/v1/groups/\(created.id)")
    }

    /// What creating a group from a CSV answers: the group and what the file matched.
    struct CreatedFromCSV: Encodable, Sendable {
        var group: Group
        var `import`: CSVMatchReport
    }

    /// `POST /groups/import?name=...` with a `text/csv` body: the group and its members in one transaction.
    @Sendable func createFromCSV(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = GroupInput(queryParameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        let group = try Self.newGroup(input)
        let result = try await CSVUpload.receive(request, context: context) { upload in
            try await self.groups.client.withTransaction(logger: context.logger) { connection in
                let inserted = try await self.groups.insert(group, applicationID: principal.applicationID, on: connection, logger: context.logger)
                let report = try await CSVMembershipImport.run(
                    upload, context: context, groupID: inserted.id, applicationID: principal.applicationID, rules: self.rules.members,
                    on: connection)
                let created = try await self.groups.find(
                    inserted.id.description, applicationID: principal.applicationID, on: connection, logger: context.logger)!
                return CreatedFromCSV(group: created, import: report)
            }
        }
        return try JSONResponses.created(result, location: "/api/v1/groups/\(result.group.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let group = try await self.group(context, applicationID: principal.applicationID)
        return try EntityTag.json(group, version: group.version)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let reference = try context.parameters.require("id")
        let input = try await request.decodeJSON(as: GroupInput.self, context: context)
        let required = try EntityTag.requiredVersion(request)
        guard
            let group = try await self.groups.update(
                reference, applicationID: principal.applicationID, requiredVersion: required, logger: context.logger,
                change: { try input.apply(to: &$0, creating: false) })
        else { throw Self.notFound(reference) }
        if group.type == "static", input.name.isPresent {
            // Rules may name the group.
            try await self.rules.recalculateRules(testing: "groups", applicationID: principal.applicationID, logger: context.logger)
        }
        return try EntityTag.json(group, version: group.version)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let reference = try context.parameters.require("id")
        guard try await self.groups.delete(reference, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(reference)
        }
        try await self.rules.recalculateRules(testing: "groups", applicationID: principal.applicationID, logger: context.logger)
        return JSONResponses.noContent()
    }

    @Sendable func members(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let paging = try MemberPage.Request(request)
        let group = try await self.group(context, applicationID: principal.applicationID)
        let page = try await MemberPage.load(
            .groups, owner: group.id, total: group.memberCount, applicationID: principal.applicationID, request: paging, client: self.groups.client, logger: context.logger)
        return try JSONResponses.json(page)
    }

    @Sendable func addUsers(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.changeUsers(request, context: context, add: true)
    }

    @Sendable func removeUsers(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.changeUsers(request, context: context, add: false)
    }

    private func changeUsers(_ request: Request, context: RosterRequestContext, add: Bool) async throws -> Response {
        let principal = try context.requireAdmin()
        let body = try await request.decodeJSON(as: UserIDList.self, context: context)
        let group = try await self.staticGroup(context, applicationID: principal.applicationID)
        let change = try await self.groups.client.withTransaction(logger: context.logger) { connection in
            add
                ? try await MembershipTable.groups.add(
                    body.userIds, to: group.id, applicationID: principal.applicationID, rules: self.rules.members, on: connection,
                    logger: context.logger)
                : try await MembershipTable.groups.remove(
                    body.userIds, from: group.id, applicationID: principal.applicationID, rules: self.rules.members, on: connection,
                    logger: context.logger)
        }
        return try JSONResponses.json(change)
    }

    /// `POST /groups/{id}/import` with a `text/csv` body of ids, emails or phones.
    @Sendable func importUsers(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let group = try await self.staticGroup(context, applicationID: principal.applicationID)
        let report = try await CSVUpload.receive(request, context: context) { upload in
            try await self.groups.client.withTransaction(logger: context.logger) { connection in
                try await CSVMembershipImport.run(
                    upload, context: context, groupID: group.id, applicationID: principal.applicationID, rules: self.rules.members,
                    on: connection)
            }
        }
        return try JSONResponses.json(report)
    }

    /// 202 with the job that recounts the members.
    @Sendable func refresh(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let group = try await self.group(context, applicationID: principal.applicationID)
        let job = try await self.jobs.enqueue(
            kind: GroupRecountJob.kind, applicationID: principal.applicationID, payload: ["groupId": .string(group.id.description)],
            logger: context.logger)
        return try JSONResponses.json(job, status: .accepted, headers: [.location: "/api/v1/audience/jobs/\(job.id)"])
    }

    /// 202 with the job that recomputes a dynamic group's members from its rules (seeds 000, 002).
    @Sendable func recalculate(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let (group, rule) = try await self.dynamicGroup(context, applicationID: principal.applicationID)
        let job = try await self.rules.recalculate(
            RuleOwner(kind: .group, id: group.id, rule: rule), applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(job, status: .accepted, headers: [.location: "/api/v1/audience/jobs/\(job.id)"])
    }

    /// `?userId=`: why that user is or is not in a dynamic group.
    @Sendable func explain(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let (_, rule) = try await self.dynamicGroup(context, applicationID: principal.applicationID)
        let explanation = try await self.rules.explain(
            rule, owner: nil, request: request, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(explanation)
    }

    @Sendable func stats(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(try await self.groups.stats(applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func labels(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(["items": try await self.groups.labels(applicationID: principal.applicationID, logger: context.logger)])
    }

    @Sendable func categories(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(["items": try await self.groups.categories(applicationID: principal.applicationID, logger: context.logger)])
    }

    /// `{"groups": {"<category>": [...]}}`, at most 100 groups per category ("" for none).
    @Sendable func byCategory(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let groups = try await self.groups.byCategory(applicationID: principal.applicationID, perCategory: 100, logger: context.logger)
        return try JSONResponses.json(["groups": groups])
    }

    @Sendable func userGroups(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let userID = try context.requireID("user", parameter: "user")
        let query = try ListQueryParser.parse(request, spec: GroupRepository.listSpec)
        try await self.projection.requireUser(userID, applicationID: principal.applicationID, logger: context.logger)
        let page = try await self.groups.list(query, applicationID: principal.applicationID, userID: userID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    private func group(_ context: RosterRequestContext, applicationID: EntityID) async throws -> Group {
        let reference = try context.parameters.require("id")
        guard let group = try await self.groups.find(reference, applicationID: applicationID, logger: context.logger) else {
            throw Self.notFound(reference)
        }
        return group
    }

    /// The route's group, which must be static for its members to be changed by hand.
    private func staticGroup(_ context: RosterRequestContext, applicationID: EntityID) async throws -> Group {
        let group = try await self.group(context, applicationID: applicationID)
        guard group.type == "static" else {
            throw Problem.conflict("Group \(group.name) is dynamic; its rules decide its members.", code: "dynamic_group")
        }
        return group
    }

    /// The route's group, which must be dynamic, and its rule.
    private func dynamicGroup(_ context: RosterRequestContext, applicationID: EntityID) async throws -> (Group, Rule) {
        let group = try await self.group(context, applicationID: applicationID)
        guard let rule = group.rule else {
            throw Problem.conflict("Group \(group.name) is static; it has no rules to evaluate.", code: "static_group")
        }
        return (group, rule)
    }

    static func notFound(_ reference: String) -> Problem {
        .notFound("No group \(reference) in this application.")
    }
}
