import Foundation
import HTTPTypes
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `POST /api/v1/users/bulk-update` and `POST /api/v1/users/bulk-delete` (seeds 000, 003),
/// for administrators. Each is one transaction; with an `Idempotency-Key` a retry returns the
/// first answer (`Idempotent-Replayed: true`) and changes nothing.
struct BulkUserController: Sendable {
    let bulk: BulkUserRepository
    let listing: UserListing
    let idempotent: IdempotentWork

    /// Ids one request may list.
    static let maxIDs = 10_000

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("bulk-update", use: self.update)
        group.post("bulk-delete", use: self.delete)
    }

    /// `{"userIds": [...], "updates": {"type"?, "status"?, "language"?, "timezone"?, "country"?, "city"?, "department"?}}`.
    struct UpdateBody: Decodable, Sendable {
        var userIds: [EntityID]
        var updates: [String: JSONValue]
    }

    /// Per id what happened, and the counts.
    struct Report: Encodable, Sendable {
        struct Result: Encodable, Sendable {
            var id: EntityID
            var outcome: BulkUserRepository.Outcome
        }
        var requested: Int
        var counts: [String: Int]
        var results: [Result]

        init(_ outcomes: [EntityID: BulkUserRepository.Outcome]) {
            self.requested = outcomes.count
            self.counts = outcomes.values.reduce(into: [:]) { $0[$1.rawValue, default: 0] += 1 }
            self.results = outcomes.map { Result(id: $0.key, outcome: $0.value) }.sorted { $0.id.description < $1.id.description }
        }
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let (body, raw) = try await RequestBodyDecoding.decodeKeepingBody(UpdateBody.self, from: request, context: context)
        try Self.checkIDs(body.userIds)
        let allowed = Set(BulkUserRepository.fields.map(\.rawValue))
        let unknown = body.updates.keys.filter { !allowed.contains($0) }.sorted()
        guard !body.updates.isEmpty, unknown.isEmpty else {
            let list = BulkUserRepository.fields.map(\.rawValue).joined(separator: ", ")
            throw Problem.validation(
                "A bulk update sets some of \(list).",
                errors: unknown.isEmpty
                    ? [.init(field: "updates", code: "required", message: "name at least one of \(list)")]
                    : unknown.map { .init(field: "updates.\($0)", code: "not_bulk_updatable", message: "not settable in bulk; allowed: \(list)") })
        }
        let input = try RosterJSON.makeDecoder().decode(UserInput.self, from: try RosterJSON.makeEncoder().encode(body.updates))
        let validated = try ValidatedUserInput(input)
        let (answer, replayed) = try await self.idempotent.run(
            key: try IdempotencyKey.read(request), operation: "users.bulk-update", applicationID: principal.applicationID, request: raw,
            logger: context.logger
        ) { connection in
            let outcomes = try await self.bulk.update(
                body.userIds, with: validated, applicationID: principal.applicationID, on: connection, logger: context.logger)
            return try RosterJSON.makeEncoder().encode(Report(outcomes))
        }
        return Self.respond(answer, replayed: replayed)
    }

    /// `{"userIds": [...]}`, or `{"filter": {...}}` with the list's own filters (e.g.
    /// `{"type":"lead"}`: seed 003's delete all leads; at least one filter, at most 100,000 users).
    struct DeleteBody: Decodable, Sendable {
        var userIds: [EntityID]?
        var filter: [String: JSONValue]?
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let (body, raw) = try await RequestBodyDecoding.decodeKeepingBody(DeleteBody.self, from: request, context: context)
        let key = try IdempotencyKey.read(request)
        switch (body.userIds, body.filter) {
        case (let ids?, nil):
            try Self.checkIDs(ids)
            let (answer, replayed) = try await self.idempotent.run(
                key: key, operation: "users.bulk-delete", applicationID: principal.applicationID, request: raw, logger: context.logger
            ) { connection in
                let outcomes = try await self.bulk.delete(ids, applicationID: principal.applicationID, on: connection, logger: context.logger)
                return try RosterJSON.makeEncoder().encode(Report(outcomes))
            }
            return Self.respond(answer, replayed: replayed)
        case (nil, let filter?):
            let text = String(decoding: try JSONEncoder().encode(filter), as: UTF8.self)
            let query = try ListQueryParser.parse(parameters: [("filter", text)], spec: UserListSpec.exportSpec)
            // A blank q is no filter: never let it stand for "everyone".
            guard !query.filters.isEmpty || query.search != nil else {
                throw Problem.validation("Name at least one filter.", errors: [.init(field: "filter", code: "required", message: "at least one filter")])
            }
            let conditions = try await self.listing.conditions(query, applicationID: principal.applicationID, logger: context.logger)
            let (answer, replayed) = try await self.idempotent.run(
                key: key, operation: "users.bulk-delete", applicationID: principal.applicationID, request: raw, logger: context.logger
            ) { connection in
                let deleted = try await self.bulk.delete(
                    where: conditions, applicationID: principal.applicationID, on: connection, logger: context.logger)
                return try RosterJSON.makeEncoder().encode(["deleted": deleted.count])
            }
            return Self.respond(answer, replayed: replayed)
        default:
            throw Problem.validation(
                "Send either userIds or filter.", errors: [.init(field: "userIds", code: "required", message: "either userIds or filter")])
        }
    }

    static func checkIDs(_ ids: [EntityID]) throws {
        guard (1...Self.maxIDs).contains(ids.count) else {
            throw Problem.validation(
                "userIds lists 1 to \(Self.maxIDs) ids.", errors: [.init(field: "userIds", code: "invalid", message: "1 to \(Self.maxIDs) ids")])
        }
    }

    static func respond(_ body: Data, replayed: Bool) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
