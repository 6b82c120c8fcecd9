import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/users`: the application's users, for staff (read) and administrators (write).
struct UserController: Sendable {
    let repository: UserRepository
    let listing: UserListing
    let changes: AccountChanges
    let hasher: PasswordHasher

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get("by", use: self.getBy)
        group.get("details", use: self.details)
        group.get("export", use: self.export)
        group.get(":id", use: self.get)
        group.put(":id", use: self.replace)
        group.patch(":id", use: self.update)
        group.delete(":id", use: self.delete)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let validated = try ValidatedUserInput(try await request.decodeJSON(as: UserInput.self, context: context))
        var user = UserFactory.new(
            applicationID: principal.applicationID, type: validated.type ?? UserFactory.defaultType(email: validated.profile.email))
        validated.apply(to: &user, mode: .patch)
        UserFactory.applyVisitorDefaults(&user)
        let hash = try await validated.password.asyncMap { try await self.hasher.hash($0) }
        let created = try await self.repository.create(user, passwordHash: hash, logger: context.logger)
        return try JSONResponses.created(UserResponse(created), location: "/api/v1/users/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.requireID("user")
        let include = try UserInclude.parts(request.uri.queryParameters.get("include"))
        guard principal.isStaff || principal.userID == id,
            let user = try await self.repository.find(id, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(id) in this application.") }
        guard !include.isEmpty else { return try JSONResponses.json(UserResponse(user)) }
        let included = try await self.listing.including([UserResponse(user)], include, applicationID: principal.applicationID)
        return try JSONResponses.json(included[0])
    }

    /// `GET /users/by?field=email&value=...` (seed 003 get-user-by).
    @Sendable func getBy(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let parameters = request.uri.queryParameters
        let allowed = UserRepository.LookupField.allCases.map(\.rawValue).joined(separator: ", ")
        guard let fieldName = parameters.get("field"), let field = UserRepository.LookupField(rawValue: fieldName) else {
            throw Problem.badRequest(
                "Query parameter field must be one of \(allowed).", code: "invalid_query",
                errors: [.init(field: "field", code: "invalid_query", message: "one of \(allowed)")])
        }
        guard var value = parameters.get("value"), (1...254).contains(value.unicodeScalars.count), !value.contains("\u{0}") else {
            throw Problem.badRequest(
                "Query parameter value is required (1 to 254 characters).", code: "invalid_query",
                errors: [.init(field: "value", code: "invalid_query", message: "1 to 254 characters")])
        }
        if field == .phone {
            // Phones are stored normalised; look the given one up the same way.
            var errors: [Problem.FieldError] = []
            value = UserRules.phone(value, errors: &errors) ?? value
        }
        guard let user = try await self.repository.find(by: field, value: value, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user with this \(fieldName) in this application.") }
        return try JSONResponses.json(UserResponse(user))
    }

    /// Full update: fields left out are cleared (type and status fall back to user and active).
    @Sendable func replace(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.change(request, context: context, mode: .replace)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.change(request, context: context, mode: .patch)
    }

    private func change(_ request: Request, context: RosterRequestContext, mode: UserInputMode) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        let validated = try ValidatedUserInput(try await request.decodeJSON(as: UserInput.self, context: context))
        let hash = try await validated.password.asyncMap { try await self.hasher.hash($0) }
        // A new password or type ends the user's sessions.
        let updated = try await self.changes.change(
            id, applicationID: principal.applicationID, passwordHash: hash, logger: context.logger,
            endSessions: { before, after in hash != nil || after.type != before.type ? "credentials_changed" : nil },
            change: { validated.apply(to: &$0, mode: mode) })
        guard let updated else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(updated))
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        guard try await self.repository.delete(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return JSONResponses.noContent()
    }

    /// The list in both dialects; `attributes.*` parameters filter by audience attributes.
    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let parameters = ListQueryParser.parameters(of: request)
        let attributes = parameters.filter { $0.0.hasPrefix("attributes.") }
        let query = try ListQueryParser.parse(parameters: parameters.filter { !$0.0.hasPrefix("attributes.") }, spec: UserListSpec.spec)
        let include = try UserInclude.parts(parameters.last(where: { $0.0 == "include" })?.1)
        let page = try await self.listing.page(query, attributes: attributes, applicationID: principal.applicationID, logger: context.logger)
        return try await self.listing.respond(page, query: query, include: include, request: request, applicationID: principal.applicationID)
    }

    /// `GET /users/export?format=csv|json|ndjson&fields=...` with the list's own filters, streamed.
    @Sendable func export(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let parameters = ListQueryParser.parameters(of: request)
        let query = try ListQueryParser.parse(parameters: parameters, spec: UserListSpec.exportSpec)
        let (format, fields) = try UserExport.parse(
            format: parameters.last(where: { $0.0 == "format" })?.1, fields: parameters.last(where: { $0.0 == "fields" })?.1)
        let conditions = try await self.listing.conditions(query, applicationID: principal.applicationID, logger: context.logger)
        let export = UserExport(format: format, names: fields, conditions: conditions, client: self.listing.client)
        let logger = context.logger
        return AttachmentResponse.stream(filename: "users.\(format.rawValue)", contentType: format.contentType) { writer in
            try await export.write(to: &writer, logger: logger)
        }
    }

    /// `GET /users/details?details=email,phone` (seed 003 users-with-details): the users
    /// having any of the details, as `{"email":[{"id","value"}],"phone":[...]}`, paged.
    @Sendable func details(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let parameters = ListQueryParser.parameters(of: request)
        let query = try ListQueryParser.parse(parameters: parameters, spec: UserListSpec.detailsSpec)
        let details = try UserDetailsView.details(parameters.last(where: { $0.0 == "details" })?.1)
        let page = try await self.listing.page(
            query, extra: [SQLFragment.any(details.map(UserListing.present))], applicationID: principal.applicationID,
            logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request) { items, pagination in
            UserDetailsView(users: items, details: details, pagination: pagination)
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
