import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/notifications/deliveries` (administrators): the email, SMS and webhook delivery
/// queue — what is waiting, sent, skipped or dead — and re-driving dead deliveries.
struct DeliveryController: Sendable {
    let deliveries: DeliveryRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.list)
        group.get(":id", use: self.get)
        group.post(":id/redrive", use: self.redrive)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: DeliveryRepository.listSpec)
        let page = try await self.deliveries.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("delivery")
        guard let delivery = try await self.deliveries.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        return try JSONResponses.json(delivery)
    }

    /// Puts a dead delivery back in the queue with fresh attempts (409 unless it is dead).
    @Sendable func redrive(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("delivery")
        if let delivery = try await self.deliveries.redrive(id, applicationID: principal.applicationID, logger: context.logger) {
            return try JSONResponses.json(delivery, status: .accepted)
        }
        guard let delivery = try await self.deliveries.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id)
        }
        throw Problem.conflict("Delivery \(id) is \(delivery.status.rawValue); only dead deliveries are re-driven.", code: "not_dead")
    }

    static func notFound(_ id: EntityID) -> Problem {
        .notFound("No delivery \(id) in this application.")
    }
}
