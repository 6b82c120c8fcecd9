import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/agents` (seed 003): the application's agents and administrators, for staff.
/// `admins=false` leaves administrators out.
struct AgentController: Sendable {
    let listing: UserListing
    let presence: PresenceRepository

    /// The users list's spec without `type` (this list sets it) and audience filters.
    static let spec: ListQuerySpec = {
        var spec = UserListSpec.spec
        spec.filters = UserListSpec.ownFilters.filter { $0.key != "type" }
        spec.otherParameters = ["admins", "include"]
        return spec
    }()

    /// How many ids `GET /agents/ids` answers at most.
    static let maxIDs = 10_000

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.list)
        group.get("ids", use: self.ids)
        group.get("online", use: self.online)
        group.get(":id", use: self.get)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let parameters = ListQueryParser.parameters(of: request)
        var query = try ListQueryParser.parse(parameters: parameters, spec: Self.spec)
        query.filters["type"] = .strings(try Self.types(request))
        let include = try UserInclude.parts(parameters.last(where: { $0.0 == "include" })?.1)
        let page = try await self.listing.page(query, applicationID: principal.applicationID, logger: context.logger)
        return try await self.listing.respond(page, query: query, include: include, request: request, applicationID: principal.applicationID)
    }

    /// The ids of the agents (and administrators), oldest first, as a bare array.
    @Sendable func ids(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let types = try Self.types(request)
        let ids = try await self.listing.ids(ofTypes: types, limit: Self.maxIDs, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(ids)
    }

    /// `{"online", "count"}`: whether any agent or administrator is online (seed 003 agents-online).
    @Sendable func online(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let count = try await self.presence.agentsOnline(applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(AgentsOnline(online: count > 0, count: count))
    }

    struct AgentsOnline: Encodable, Sendable {
        var online: Bool
        var count: Int
    }

    /// One agent or administrator (seed 003 get-agent); `?include=attributes` adds their details.
    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("agent")
        let include = try UserInclude.parts(request.uri.queryParameters.get("include"))
        guard let user = try await self.listing.users([id], applicationID: principal.applicationID, logger: context.logger).first,
            [UserType.agent.rawValue, UserType.admin.rawValue].contains(user.type)
        else { throw Problem.notFound("No agent or administrator \(id) in this application.") }
        guard !include.isEmpty else { return try JSONResponses.json(user) }
        return try JSONResponses.json(try await self.listing.including([user], include, applicationID: principal.applicationID)[0])
    }

    /// agent and admin, or agent only with `admins=false`.
    static func types(_ request: Request) throws -> [String] {
        try request.flagParameter("admins") == false ? [UserType.agent.rawValue] : [UserType.agent.rawValue, UserType.admin.rawValue]
    }
}
