import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/users`: create, read, update, delete and list users of the caller's application.
struct UserController: Sendable {
    let repository: UserRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get(":id", use: self.get)
        group.patch(":id", use: self.update)
        group.delete(":id", use: self.delete)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: CreateUserRequest.self, context: context)
        var errors: [Problem.FieldError] = []
        let new = UserRepository.NewUser(
            email: UserValidation.email(input.email, errors: &errors),
            firstName: UserValidation.name(input.firstName, field: "firstName", errors: &errors),
            lastName: UserValidation.name(input.lastName, field: "lastName", errors: &errors),
            type: UserValidation.type(input.type, errors: &errors) ?? .user,
            status: UserValidation.status(input.status, errors: &errors) ?? .active)
        try UserValidation.check(errors)
        let user = try await self.repository.create(new, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.created(UserResponse(user), location: "/api/v1/users/\(user.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try Self.id(context)
        guard principal.isAdmin || principal.userID == id,
            let user = try await self.repository.find(id, applicationID: principal.applicationID, logger: context.logger)
        else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(user))
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try Self.id(context)
        let input = try await request.decodeJSON(as: UpdateUserRequest.self, context: context)
        var errors: [Problem.FieldError] = []
        let email = UserValidation.email(input.email.value, errors: &errors)
        let firstName = UserValidation.name(input.firstName.value, field: "firstName", errors: &errors)
        let lastName = UserValidation.name(input.lastName.value, field: "lastName", errors: &errors)
        let type = UserValidation.type(input.type.value, errors: &errors)
        let status = UserValidation.status(input.status.value, errors: &errors)
        if case .null = input.type { errors.append(.init(field: "type", code: "required", message: "cannot be null")) }
        if case .null = input.status { errors.append(.init(field: "status", code: "required", message: "cannot be null")) }
        try UserValidation.check(errors)
        let updated = try await self.repository.update(id, applicationID: principal.applicationID, logger: context.logger) { user in
            if input.email.isPresent { user.email = email }
            if input.firstName.isPresent { user.firstName = firstName }
            if input.lastName.isPresent { user.lastName = lastName }
            if let type { user.type = type }
            if let status { user.status = status }
        }
        guard let updated else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(updated))
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try Self.id(context)
        guard try await self.repository.delete(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return JSONResponses.noContent()
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: UserRepository.listSpec)
        let page = try await self.repository.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    static func id(_ context: RosterRequestContext) throws -> EntityID {
        let text = try context.parameters.require("id")
        guard let id = EntityID(text) else { throw Problem.notFound("No user \(text) in this application.") }
        return id
    }
}
