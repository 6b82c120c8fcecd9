import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/notifications/webhook` (administrators): where the webhook channel posts. The
/// signing secret is shown once, when the endpoint is created or its secret rotated.
struct WebhookController: Sendable {
    let webhooks: WebhookRepository
    let policy: WebhookAddressPolicy

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.get)
        group.put(use: self.put)
        group.delete(use: self.delete)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        guard let endpoint = try await self.webhooks.endpoint(applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.none
        }
        return try JSONResponses.json(endpoint)
    }

    @Sendable func put(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try await request.decodeJSON(as: WebhookEndpointInput.self, context: context)
        let url = try input.checkedURL()
        // A host without an address yet is taken; every delivery checks it again.
        if let refusal = try? await self.policy.refusal(for: url) {
            throw Problem.validation(
                "The webhook endpoint may not be on a private network.", errors: [.init(field: "url", code: "private_address", message: refusal)])
        }
        let (endpoint, created) = try await self.webhooks.put(
            url: url, rotate: input.rotateSecret ?? false, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(endpoint, status: created ? .created : .ok)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        guard try await self.webhooks.delete(applicationID: principal.applicationID, logger: context.logger) else { throw Self.none }
        return JSONResponses.noContent()
    }

    static let none = Problem.notFound("This application has no webhook endpoint; PUT one first.")
}
