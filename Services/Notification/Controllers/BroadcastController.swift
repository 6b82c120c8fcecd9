import Hummingbird
import RosterProtocol
import RosterRuntime

/// `POST /api/v1/broadcasts` and `POST /api/v1/notifications` (seed 004 "send notification",
/// seed 000 "group broadcast"): 202 with the broadcast, whose fan-out runs as a job;
/// `GET /api/v1/broadcasts[/{id}]` shows progress. `Idempotency-Key` makes a retried send
/// return the first broadcast.
struct BroadcastController: Sendable {
    let broadcasts: BroadcastRepository
    let types: NotificationTypeRepository
    let pages: RecipientPages
    let idempotent: IdempotentWork

    func register(broadcasts group: RouterGroup<RosterRequestContext>, notifications: RouterGroup<RosterRequestContext>) {
        group.post(use: self.send)
        group.get(use: self.list)
        group.get(":id", use: self.get)
        notifications.post(use: self.send)
    }

    @Sendable func send(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let key = try IdempotencyKey.read(request)
        let (input, raw) = try await RequestBodyDecoding.decodeKeepingBody(BroadcastInput.self, from: request, context: context)
        let send = try await input.checked(types: self.types, applicationID: principal.applicationID, logger: context.logger)
        if send.target == .group || send.target == .segment {
            try await self.requireTarget(send, applicationID: principal.applicationID)
        }
        let (body, replayed) = try await self.idempotent.run(
            key: key, operation: "notification.send", applicationID: principal.applicationID, request: raw, logger: context.logger
        ) { connection in
            let broadcast = try await self.broadcasts.create(send, applicationID: principal.applicationID, on: connection, logger: context.logger)
            return try RosterJSON.makeEncoder().encode(broadcast)
        }
        let id = try RosterJSON.makeDecoder().decode(IDOnly.self, from: body).id
        return JSONResponses.stored(body, status: .accepted, replayed: replayed, headers: [.location: "/api/v1/broadcasts/\(id)"])
    }

    /// The id of a stored answer.
    private struct IDOnly: Decodable {
        var id: EntityID
    }

    /// 422 when the group or segment does not exist.
    private func requireTarget(_ send: BroadcastInput.Checked, applicationID: EntityID) async throws {
        guard let owner = send.targetID else { return }
        // Audience away: the runtime answers 503 (ProblemMiddleware).
        guard try await self.pages.exists(send.target, owner, applicationID: applicationID) else {
            let kind = send.target.rawValue
            throw Problem.validation(
                "No \(kind) \(owner) in this application.",
                errors: [.init(field: kind == "group" ? "groupId" : "segmentId", code: "unknown_\(kind)", message: "no such \(kind)")])
        }
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: BroadcastRepository.listSpec)
        let page = try await self.broadcasts.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("broadcast")
        guard let broadcast = try await self.broadcasts.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No broadcast \(id) in this application.")
        }
        return try JSONResponses.json(broadcast)
    }
}
