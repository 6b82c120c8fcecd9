import Hummingbird
import RosterProtocol
import RosterRuntime

/// A user's attribute values (seed 002): `/api/v1/users/{id}/attributes` for staff and
/// administrators, `/api/v1/me/attributes` for the signed-in user (customer-editable ones).
///
/// Encrypted values are masked in lists; a single `GET` opens them for administrators and for
/// the user themselves.
struct UserAttributeController: Sendable {
    let definitions: AttributeDefinitionRepository
    let values: AttributeValueRepository
    let projection: UserProjectionRepository

    static let listSpec = ListQuerySpec(
        sortFields: ["slug": .init(column: "slug", type: .string)], defaultSort: [SortKey("slug")],
        filters: ["type": .choice(AttributeType.allCases.map(\.rawValue)), "name": .string, "pinned": .boolean, "customerEditable": .boolean],
        defaultLimit: 100)

    func register(admin: RouterGroup<RosterRequestContext>, me: RouterGroup<RosterRequestContext>) {
        admin.get(use: self.list)
        admin.get(":definition", use: self.get)
        admin.put(":definition", use: self.put)
        admin.delete(":definition", use: self.delete)
        me.get(use: self.listOwn)
        me.get(":definition", use: self.getOwn)
        me.put(":definition", use: self.putOwn)
        me.delete(":definition", use: self.deleteOwn)
    }

    /// Who is asking about whom, and what they may see and change.
    private struct Access {
        var applicationID: EntityID
        var userID: EntityID
        var isSelf: Bool
        var mayReveal: Bool
    }

    private func staffAccess(_ context: RosterRequestContext, write: Bool) throws -> Access {
        let principal = write ? try context.requireAdmin() : try context.requireStaff()
        let userID = try context.requireID("user", parameter: "user")
        return Access(applicationID: principal.applicationID, userID: userID, isSelf: false, mayReveal: principal.isAdmin)
    }

    private func ownAccess(_ context: RosterRequestContext) throws -> Access {
        let (principal, userID) = try context.requireUser()
        return Access(applicationID: principal.applicationID, userID: userID, isSelf: true, mayReveal: true)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.list(request, context: context, access: try self.staffAccess(context, write: false))
    }

    @Sendable func listOwn(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.list(request, context: context, access: try self.ownAccess(context))
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.get(context, access: try self.staffAccess(context, write: false))
    }

    @Sendable func getOwn(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.get(context, access: try self.ownAccess(context))
    }

    @Sendable func put(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.put(request, context: context, access: try self.staffAccess(context, write: true))
    }

    @Sendable func putOwn(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.put(request, context: context, access: try self.ownAccess(context))
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.delete(context, access: try self.staffAccess(context, write: true))
    }

    @Sendable func deleteOwn(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.delete(context, access: try self.ownAccess(context))
    }

    private func list(_ request: Request, context: RosterRequestContext, access: Access) async throws -> Response {
        let query = try ListQueryParser.parse(request, spec: Self.listSpec)
        try await self.requireUser(access, context: context)
        let definitions = try await self.definitions.list(
            query, applicationID: access.applicationID, spec: Self.listSpec, customerEditableOnly: access.isSelf, logger: context.logger)
        let stored = try await self.values.stored(
            userID: access.userID, applicationID: access.applicationID, definitionIDs: definitions.items.map(\.id), logger: context.logger)
        let items = try definitions.items.map { try self.values.view($0, row: stored[$0.id], userID: access.userID, reveal: false) }
        let page = ListPage(items: items, total: definitions.total, hasNext: definitions.hasNext, nextCursor: definitions.nextCursor)
        return try ListResponder.respond(page, query: query, request: request)
    }

    private func get(_ context: RosterRequestContext, access: Access) async throws -> Response {
        let definition = try await self.definition(context, access: access)
        try await self.requireUser(access, context: context)
        let stored = try await self.values.stored(
            userID: access.userID, applicationID: access.applicationID, definitionIDs: [definition.id], logger: context.logger)
        return try JSONResponses.json(
            try self.values.view(definition, row: stored[definition.id], userID: access.userID, reveal: access.mayReveal))
    }

    private func put(_ request: Request, context: RosterRequestContext, access: Access) async throws -> Response {
        let definition = try await self.definition(context, access: access)
        let body = try await request.decodeJSON(as: ValueBody.self, context: context)
        let coerced: AttributeStoredValue?
        switch AttributeValidator(definition).coerce(body.value) {
        case .success(let value): coerced = value
        case .failure(let error): throw Problem.validation("The value breaks the \(error.code) rule of \(definition.slug).", errors: [error])
        }
        guard let stored = coerced else {
            // `null` removes the value (the default applies again).
            _ = try await self.values.delete(
                userID: access.userID, definition: definition, applicationID: access.applicationID, logger: context.logger)
            return try await self.get(context, access: access)
        }
        let unknown = try await self.values.client.withTransaction(logger: context.logger) { connection in
            let write = AttributeValueRepository.Write(userID: access.userID, definition: definition, value: stored)
            if let broken = try await AttributePatterns.broken([write], on: connection, logger: context.logger)[0] {
                throw Problem.validation("The value breaks the regex rule of \(definition.slug).", errors: [broken])
            }
            return try await self.values.upsert(
                [write], applicationID: access.applicationID, by: access.isSelf ? "user" : "admin", on: connection, logger: context.logger)
        }
        guard unknown.isEmpty else { throw UserProjectionRepository.unknownUser(access.userID) }
        return try await self.get(context, access: access)
    }

    private func delete(_ context: RosterRequestContext, access: Access) async throws -> Response {
        let definition = try await self.definition(context, access: access)
        guard !definition.rules.required else {
            throw Problem.validation(
                "\(definition.slug) is required; set another value instead of deleting it.",
                errors: [.init(field: "attributes.\(definition.slug)", code: "required", message: "\(definition.slug): a value is required")])
        }
        guard
            try await self.values.delete(
                userID: access.userID, definition: definition, applicationID: access.applicationID, logger: context.logger)
        else { throw Problem.notFound("User \(access.userID) has no value of \(definition.slug).") }
        return JSONResponses.noContent()
    }

    /// The definition named by the route; for the user themselves only customer-editable ones exist.
    private func definition(_ context: RosterRequestContext, access: Access) async throws -> AttributeDefinition {
        let reference = try context.parameters.require("definition")
        guard let definition = try await self.definitions.find(reference, applicationID: access.applicationID, logger: context.logger),
            !access.isSelf || definition.customerEditable
        else { throw AttributeDefinitionController.notFound(reference) }
        return definition
    }

    private func requireUser(_ access: Access, context: RosterRequestContext) async throws {
        try await self.projection.requireUser(access.userID, applicationID: access.applicationID, logger: context.logger)
    }

    /// `{"value": ...}`; the value is required (null clears it).
    struct ValueBody: Decodable, Sendable {
        var value: JSONValue

        enum CodingKeys: String, CodingKey { case value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard container.contains(.value) else {
                throw Problem.validation("The body needs a value.", errors: [.init(field: "value", code: "required", message: "is required")])
            }
            self.value = try container.decode(JSONValue.self, forKey: .value)
        }
    }
}
