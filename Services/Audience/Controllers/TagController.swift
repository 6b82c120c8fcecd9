import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/tags`, `/api/v1/tags-stats` and `/api/v1/users/{id}/tags` (seed 000).
struct TagController: ResourceController {
    let tags: TagRepository
    let projection: UserProjectionRepository
    let rules: RuleService

    func register(tags group: RouterGroup<RosterRequestContext>, stats: RouterGroup<RosterRequestContext>, user: RouterGroup<RosterRequestContext>) {
        self.registerResource(on: group)
        group.post("merge", use: self.merge)
        group.post(":id/assign", use: self.assign)
        group.post(":id/unassign", use: self.unassign)
        stats.get(use: self.stats)
        user.get(use: self.userTags)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: TagRepository.listSpec)
        let page = try await self.tags.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: TagInput.self, context: context)
        var tag = Tag(
            id: .generate(), name: "", category: nil, color: nil, description: nil, isSystem: false, usageCount: 0, createdAt: Date(),
            updatedAt: Date())
        try input.apply(to: &tag, creating: true)
        let created = try await self.tags.create(tag, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.created(created, location: "/api/v1/tags/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("tag")
        guard let tag = try await self.tags.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(tag)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("tag")
        let input = try await request.decodeJSON(as: TagInput.self, context: context)
        guard
            let tag = try await self.tags.update(
                id, applicationID: principal.applicationID, logger: context.logger, change: { try input.apply(to: &$0, creating: false) })
        else { throw Self.notFound(id) }
        if input.name.isPresent {
            // Rules may name the tag.
            try await self.rules.recalculateRules(testing: "tags", applicationID: principal.applicationID, logger: context.logger)
        }
        return try JSONResponses.json(tag)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("tag")
        guard try await self.tags.delete(id, applicationID: principal.applicationID, logger: context.logger) else { throw Self.notFound(id) }
        try await self.rules.recalculateRules(testing: "tags", applicationID: principal.applicationID, logger: context.logger)
        return JSONResponses.noContent()
    }

    /// `{"sourceTagIds": [...], "targetTagId": "..."}`.
    struct MergeBody: Decodable, Sendable {
        var sourceTagIds: [String]
        var targetTagId: String
    }

    @Sendable func merge(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let body = try await request.decodeJSON(as: MergeBody.self, context: context)
        var errors: [Problem.FieldError] = []
        let sources = body.sourceTagIds.compactMap(EntityID.init)
        if sources.count != body.sourceTagIds.count || !(1...100).contains(sources.count) {
            errors.append(.init(field: "sourceTagIds", code: "invalid", message: "must list 1 to 100 tag ids"))
        }
        let target = EntityID(body.targetTagId)
        if target == nil { errors.append(.init(field: "targetTagId", code: "invalid", message: "must be a tag id")) }
        if let target, sources.contains(target) {
            errors.append(.init(field: "sourceTagIds", code: "invalid", message: "must not contain the target"))
        }
        guard errors.isEmpty, let target else { throw Problem.validation("The merge request is not valid.", errors: errors) }
        let result = try await self.tags.merge(
            sources: Array(Set(sources)).sorted(), into: target, applicationID: principal.applicationID, logger: context.logger)
        try await self.rules.recalculateRules(testing: "tags", applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(result)
    }

    @Sendable func assign(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.changeUsers(request, context: context, add: true)
    }

    @Sendable func unassign(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.changeUsers(request, context: context, add: false)
    }

    private func changeUsers(_ request: Request, context: RosterRequestContext, add: Bool) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("tag")
        let body = try await request.decodeJSON(as: UserIDList.self, context: context)
        let change = try await self.tags.client.withTransaction(logger: context.logger) { connection in
            add
                ? try await MembershipTable.tags.add(
                    body.userIds, to: id, applicationID: principal.applicationID, rules: self.rules.members, on: connection, logger: context.logger)
                : try await MembershipTable.tags.remove(
                    body.userIds, from: id, applicationID: principal.applicationID, rules: self.rules.members, on: connection,
                    logger: context.logger)
        }
        return try JSONResponses.json(change)
    }

    @Sendable func stats(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(try await self.tags.stats(applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func userTags(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let userID = try context.requireID("user", parameter: "user")
        let query = try ListQueryParser.parse(request, spec: TagRepository.listSpec)
        try await self.projection.requireUser(userID, applicationID: principal.applicationID, logger: context.logger)
        let page = try await self.tags.list(query, applicationID: principal.applicationID, userID: userID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    static func notFound(_ id: EntityID) -> Problem {
        .notFound("No tag \(id) in this application.")
    }
}
