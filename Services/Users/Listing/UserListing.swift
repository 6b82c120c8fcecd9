import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// `GET /api/v1/users` and its views (README, "Listing and searching users").
///
/// Own filters and `q` run as one SQL query on the users schema. Filters on audience data
/// (groups, tags, segments, attributes) are answered by audience's internal search, which
/// returns the page of ids; the page is then read here by id, in that order.
struct UserListing: Sendable {
    let client: PostgresClient
    let audience: AudienceDirectory

    /// The page `query` asks for; `attributes` are the request's `attributes.*` parameters.
    func page(
        _ query: ListQuery, attributes: [(String, String)] = [], extra: [SQLFragment] = [], applicationID: EntityID, logger: Logger
    ) async throws -> ListPage<UserResponse> {
        let audienceFilters = query.filters.keys.filter { UserListSpec.audienceFilters[$0] != nil }
        if !audienceFilters.isEmpty || !attributes.isEmpty {
            return try await self.audiencePage(query, attributes: attributes, applicationID: applicationID, logger: logger)
        }
        let conditions = try await self.conditions(query, applicationID: applicationID, logger: logger) + extra
        if query.search != nil {
            return try await query.loadCountingAlong(
                UserRepository.columns, from: "users", where: conditions, spec: UserListSpec.spec, client: self.client, logger: logger,
                row: { UserResponse(try UserRepository.user(from: $0)) })
        }
        return try await query.load(
            UserRepository.columns, from: "users", where: conditions, spec: UserListSpec.spec,
            total: extra.isEmpty ? Self.countedTotal(query, applicationID: applicationID) : nil, client: self.client, logger: logger,
            decode: { try await UserRepository.decode($0).map(UserResponse.init) })
    }

    /// The SQL conditions of the own filters and the search.
    func conditions(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> [SQLFragment] {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let status) = query.filter("status") { conditions.append("status = \(status)") }
        if case .strings(let types) = query.filter("type") { conditions.append("type = ANY(\(types))") }
        if case .ids(let ids) = query.filter("ids") { conditions.append("id = ANY(\(ids))") }
        if case .timestamp(let date) = query.filter("createdAfter") { conditions.append("created_at > \(date)") }
        if case .timestamp(let date) = query.filter("createdBefore") { conditions.append("created_at < \(date)") }
        if case .id(let id) = query.filter("afterId") {
            // Users created after that one (seed 003 "new users since an id"); ties broken by id.
            let exists: SQLFragment = "SELECT 1 FROM users WHERE application_id = \(applicationID) AND id = \(id)"
            guard try await !self.client.query(exists.query(), logger: logger).collect().isEmpty else {
                throw Problem.invalidQuery("afterId", "names no user of this application")
            }
            conditions.append(
                "(created_at, id) > (SELECT created_at, id FROM users WHERE application_id = \(applicationID) AND id = \(id))")
        }
        if case .strings(let details) = query.filter("hasDetails") {
            conditions += details.compactMap(UserDetail.init(rawValue:)).map(Self.present)
        }
        if let search = query.search { conditions += Self.searchConditions(search) }
        return conditions
    }

    /// `email IS NOT NULL` and the like.
    static func present(_ detail: UserDetail) -> SQLFragment {
        switch detail {
        case .email: "email IS NOT NULL"
        case .phone: "phone IS NOT NULL"
        case .username: "username IS NOT NULL"
        }
    }

    /// Every word of `q` must occur in the folded names, email, phone or username
    /// (case- and accent-insensitive substring; the trigram index `users_search` serves it).
    static func searchConditions(_ text: String) -> [SQLFragment] {
        text.split(whereSeparator: \.isWhitespace).prefix(8).map { word in
            let literal = word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            return "search_document LIKE '%' || fold_text(\(literal)) || '%'"
        }
    }

    /// The total from the kept counts (`user_facts`), when the query filters by status and type only.
    static func countedTotal(_ query: ListQuery, applicationID: EntityID) -> SQLFragment? {
        guard query.search == nil, query.filters.keys.allSatisfy(UserListSpec.sharedFilters.contains) else { return nil }
        var statuses = UserStatus.allCases.map(\.rawValue)
        var types = UserType.allCases.map(\.rawValue)
        if case .string(let status) = query.filter("status") { statuses = [status] }
        if case .strings(let chosen) = query.filter("type") { types = chosen }
        let values = types.flatMap { type in statuses.map { "\(type)/\($0)" } }
        return """
            SELECT coalesce(sum(users), 0)::int8 FROM user_facts
            WHERE application_id = \(applicationID) AND dimension = 'type_status' AND value = ANY(\(values))
            """
    }

    /// A page found by audience's search, read here in its order.
    private func audiencePage(
        _ query: ListQuery, attributes: [(String, String)], applicationID: EntityID, logger: Logger
    ) async throws -> ListPage<UserResponse> {
        let unsupported =
            query.filters.keys.filter { UserListSpec.ownFilters[$0] != nil && !UserListSpec.sharedFilters.contains($0) }.sorted()
            + (query.search == nil ? [] : ["q"])
            + query.sort.map(\.field).filter { !UserListSpec.sharedSorts.contains($0) }.map { "sort=\($0)" }
        guard unsupported.isEmpty else {
            throw Problem.badRequest(
                "Filters on groups, tags, segments and attributes combine with status, type and sorting by createdAt or updatedAt "
                    + "only; drop \(unsupported.joined(separator: ", ")).", code: "invalid_query",
                errors: unsupported.map { .init(field: $0, code: "invalid_query", message: "not combinable with audience filters") })
        }
        var forwarded: [(String, String)] = [("sort", query.sort.map(\.description).joined(separator: ","))]
        switch (query.style, query.cursor) {
        case (.range, _): forwarded.append(("range", "[\(query.offset),\(query.offset + query.limit - 1)]"))
        case (.envelope, let cursor?): forwarded += [("limit", "\(query.limit)"), ("cursor", cursor.encoded())]
        case (.envelope, nil): forwarded += [("limit", "\(query.limit)"), ("page", "\(query.page)")]
        }
        if case .string(let status) = query.filter("status") { forwarded.append(("status", status)) }
        if case .strings(let types) = query.filter("type") { forwarded.append(("type", types.joined(separator: ","))) }
        var segments: [EntityID] = []
        if case .ids(let ids) = query.filter("segments") { segments += ids }
        if case .id(let id) = query.filter("segment") { segments.append(id) }
        if !segments.isEmpty { forwarded.append(("segments", segments.map(\.description).joined(separator: ","))) }
        for name in ["groups", "tags"] {
            if case .ids(let ids) = query.filter(name) { forwarded.append((name, ids.map(\.description).joined(separator: ","))) }
        }
        let found = try await self.audience.searchIDs(forwarded + attributes, applicationID: applicationID)
        let users = try await self.users(found.ids, applicationID: applicationID, logger: logger)
        let start = query.cursor?.position ?? query.offset
        return ListPage(
            items: users, total: found.total, hasNext: found.nextCursor != nil || start + found.ids.count < found.total,
            nextCursor: found.nextCursor)
    }

    /// The users with these ids, in the order given (ids of users deleted meanwhile are skipped).
    func users(_ ids: [EntityID], applicationID: EntityID, logger: Logger) async throws -> [UserResponse] {
        guard !ids.isEmpty else { return [] }
        let select: SQLFragment = "SELECT \(UserRepository.columns) FROM users WHERE application_id = \(applicationID) AND id = ANY(\(ids))"
        let byID = Dictionary(
            try await UserRepository.decode(self.client.query(select.query(), logger: logger)).map { ($0.id, UserResponse($0)) },
            uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    /// `users` with the audience data `include` names, in one internal call.
    func including(_ users: [UserResponse], _ include: [AudienceLookup.Part], applicationID: EntityID) async throws -> [IncludedUser] {
        let entries = try await self.audience.lookup(users.map(\.id), include: include, applicationID: applicationID)
        // A user audience has not heard of yet (just created) has none of it.
        let empty = AudienceLookup.Entry(
            groups: include.contains(.groups) ? [] : nil, tags: include.contains(.tags) ? [] : nil,
            attributes: include.contains(.attributes) ? [:] : nil)
        return users.map { IncludedUser(user: $0, audience: entries[$0.id.description] ?? empty) }
    }

    /// The ids of the users of these types, oldest first, at most `limit`.
    func ids(ofTypes types: [String], limit: Int, applicationID: EntityID, logger: Logger) async throws -> [EntityID] {
        let select: SQLFragment = """
            SELECT id FROM users WHERE application_id = \(applicationID) AND type = ANY(\(types))
            ORDER BY created_at, id LIMIT \(limit)
            """
        var ids: [EntityID] = []
        for try await id in try await self.client.query(select.query(), logger: logger).decode(EntityID.self) { ids.append(id) }
        return ids
    }

    /// Renders `page` in the request's dialect, each user with the audience data `include` names.
    func respond(
        _ page: ListPage<UserResponse>, query: ListQuery, include: [AudienceLookup.Part], request: Request, applicationID: EntityID
    ) async throws -> Response {
        guard !include.isEmpty else { return try ListResponder.respond(page, query: query, request: request) }
        let items = try await self.including(page.items, include, applicationID: applicationID)
        return try ListResponder.respond(
            ListPage(items: items, total: page.total, hasNext: page.hasNext, nextCursor: page.nextCursor), query: query, request: request)
    }
}
