import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/applications`: tenants, managed with a superuser API key.
struct ApplicationController: Sendable {
    let repository: ApplicationRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get(":id", use: self.get)
        group.patch(":id", use: self.update)
    }

    /// A new application and its first admin API key (shown this once).
    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        _ = try context.requireSuperuser()
        let input = try await request.decodeJSON(as: ApplicationInput.self, context: context)
        let name = try Self.name(input.name, required: true)!
        guard input.status == nil else {
            throw Problem.validation("status is set by PATCH.", errors: [.init(field: "status", code: "not_editable", message: "cannot be set here")])
        }
        let (application, record, key) = try await self.repository.create(name: name, logger: context.logger)
        return try JSONResponses.created(
            CreatedApplication(
                application: application,
                apiKey: CreatedAPIKey(
                    id: record.id, name: record.name, prefix: record.prefix, scope: record.scope, createdAt: record.createdAt, key: key.text)),
            location: "/api/v1/applications/\(application.id)")
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        _ = try context.requireSuperuser()
        let query = try ListQueryParser.parse(request, spec: ApplicationRepository.listSpec)
        return try ListResponder.respond(try await self.repository.list(query, logger: context.logger), query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        _ = try context.requireSuperuser()
        let id = try context.requireID("application")
        guard let application = try await self.repository.find(id, logger: context.logger) else {
            throw Problem.notFound("No application \(id).")
        }
        return try JSONResponses.json(application)
    }

    /// Renames, suspends (keys and sign-ins stop working) or reactivates; the caller's own
    /// application cannot be suspended.
    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireSuperuser()
        let id = try context.requireID("application")
        let input = try await request.decodeJSON(as: ApplicationInput.self, context: context)
        let name = try Self.name(input.name, required: false)
        if let status = input.status, !["active", "suspended"].contains(status) {
            throw Problem.validation("status must be active or suspended.", errors: [.init(field: "status", code: "invalid_status", message: "active or suspended")])
        }
        if input.status == "suspended", id == principal.applicationID {
            throw Problem.conflict("A superuser cannot suspend its own application.", code: "own_application")
        }
        guard let application = try await self.repository.update(id, name: name, status: input.status, logger: context.logger) else {
            throw Problem.notFound("No application \(id).")
        }
        return try JSONResponses.json(application)
    }

    private static func name(_ value: String?, required: Bool) throws -> String? {
        guard let value else {
            if required { throw Problem.validation("name is required.", errors: [.init(field: "name", code: "required", message: "is required")]) }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count) else {
            throw Problem.validation("name must be 1 to 100 characters.", errors: [.init(field: "name", code: "invalid_value", message: "1 to 100 characters")])
        }
        return trimmed
    }
}
