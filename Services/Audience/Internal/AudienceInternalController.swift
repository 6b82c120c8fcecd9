import Hummingbird
import RosterProtocol
import RosterRuntime

/// Audience's internal API (service token required): batch lookups for `?include=`, the
/// member-id stream of broadcasts, and tag and group changes of many users at once.
struct AudienceInternalController: Sendable {
    let lookups: AudienceLookupRepository
    let search: AudienceUserSearch
    let assignments: AudienceAssignments

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("audience/lookup", use: self.lookup)
        group.get("audience/groups/:id/member-ids") { try await self.memberIDs($0, context: $1, table: .groups) }
        group.get("audience/segments/:id/member-ids") { try await self.memberIDs($0, context: $1, table: .segments) }
        group.get("audience/users/search", use: self.searchIDs)
        group.post("audience/assignments", use: self.assign)
    }

    /// Tags and static group memberships of many users (imports, bulk updates).
    @Sendable func assign(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: AudienceAssignment.Request.self, context: context)
        return try JSONResponses.json(try await self.assignments.apply(body, logger: context.logger))
    }

    @Sendable func lookup(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: AudienceLookup.Request.self, context: context)
        guard body.userIds.count <= 100 else {
            throw Problem.validation("userIds holds a page: at most 100 ids.", errors: [.init(field: "userIds", code: "invalid", message: "at most 100")])
        }
        return try JSONResponses.json(try await self.lookups.lookup(body, logger: context.logger))
    }

    /// The ids of the page the public search answers for the same query, and the total.
    @Sendable func searchIDs(_ request: Request, context: RosterRequestContext) async throws -> Response {
        guard let application = request.uri.queryParameters.get("applicationId").flatMap(EntityID.init) else {
            throw Problem.badRequest("Query parameter applicationId must be an id.", code: "invalid_query")
        }
        let (_, page) = try await self.search.search(request, applicationID: application, ignoring: ["applicationId"], logger: context.logger)
        return try JSONResponses.json(AudienceSearchPage(ids: page.items.map(\.id), total: page.total, nextCursor: page.nextCursor))
    }

    /// A page of a group's or segment's member ids, for broadcasts.
    @Sendable func memberIDs(_ request: Request, context: RosterRequestContext, table: MembershipTable) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let application = parameters.get("applicationId").flatMap(EntityID.init) else {
            throw Problem.badRequest("Query parameter applicationId must be an id.", code: "invalid_query")
        }
        var after: EntityID?
        if let text = parameters.get("after"), !text.isEmpty {
            guard let id = EntityID(text) else { throw Problem.badRequest("Query parameter after must be an id.", code: "invalid_query") }
            after = id
        }
        let limit = parameters.get("limit").flatMap { Int($0) } ?? 1_000
        guard (1...10_000).contains(limit) else {
            throw Problem.badRequest("Query parameter limit must be from 1 to 10000.", code: "invalid_query")
        }
        let owner = try context.requireID(String(table.ownerTable.dropLast()))
        guard
            let page = try await self.lookups.memberIDs(
                table, owner: owner, applicationID: application, after: after, limit: limit, logger: context.logger)
        else { throw Problem.notFound("No \(table.ownerTable.dropLast()) \(owner) in this application.") }
        return try JSONResponses.json(page)
    }
}
