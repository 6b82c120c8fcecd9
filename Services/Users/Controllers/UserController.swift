import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/users`: the application's users, for staff (read) and administrators (write).
struct UserController: Sendable {
    let repository: UserRepository
    let changes: AccountChanges
    let hasher: PasswordHasher

    /// What `?include=` may name (audience data, embedded by a later release).
    static let includable: Set<String> = ["groups", "tags", "attributes"]

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get("by", use: self.getBy)
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
        try Self.checkInclude(request)
        guard principal.isStaff || principal.userID == id,
            let user = try await self.repository.find(id, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(user))
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

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: UserRepository.listSpec)
        let page = try await self.repository.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    /// `?include=groups,tags,attributes` is accepted (and checked) now; the audience data it
    /// names is embedded once the audience service provides it.
    static func checkInclude(_ request: Request) throws {
        guard let include = request.uri.queryParameters.get("include") else { return }
        let unknown = include.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            .filter { !Self.includable.contains($0) }
        guard unknown.isEmpty else {
            throw Problem.badRequest(
                "include may name \(Self.includable.sorted().joined(separator: ", ")).", code: "invalid_query",
                errors: [.init(field: "include", code: "invalid_query", message: "unknown: \(unknown.joined(separator: ", "))")])
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
