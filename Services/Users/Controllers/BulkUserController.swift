import Foundation
import HTTPTypes
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `POST /api/v1/users/bulk-update` and `POST /api/v1/users/bulk-delete` (seeds 000, 003),
/// for administrators. Each is one transaction; with an `Idempotency-Key` a retry returns the
/// first answer (`Idempotent-Replayed: true`) and changes nothing. A bulk update's tag, group
/// and attribute changes go to audience in one internal call, the last step of that
/// transaction: if audience fails, the users' part rolls back and the client may retry (adding
/// or removing a membership twice is the same as once). Only a failed commit right after
/// audience answered leaves audience's part done without the users' — a retry completes it.
struct BulkUserController: Sendable {
    let bulk: BulkUserRepository
    let listing: UserListing
    let idempotent: IdempotentWork
    let audience: AudienceDirectory

    /// Ids one request may list.
    static let maxIDs = 10_000

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("bulk-update", use: self.update)
        group.post("bulk-delete", use: self.delete)
    }

    /// `{"userIds": [...], "updates": {"type"?, "status"?, "language"?, "timezone"?, "country"?, "city"?, "department"?},
    /// "addTags"?, "removeTags"?, "addGroups"?, "removeGroups"?, "attributes"?}` — tags by name
    /// (created when missing), groups by id, uid or name, attributes by slug.
    struct UpdateBody: Decodable, Sendable {
        var userIds: [EntityID]
        var updates: [String: JSONValue]?
        var addTags: [String]?
        var removeTags: [String]?
        var addGroups: [String]?
        var removeGroups: [String]?
        var attributes: [String: JSONValue]?

        /// Most JSON `attributes` may hold: it goes to audience once for every user named.
        static let maxAttributesBytes = 64 << 10

        /// 422 for a tag or group list of more than 50 names, a blank or over-long name, or
        /// attributes over `maxAttributesBytes`.
        func checkLimits() throws {
            if let attributes = self.attributes, try RosterJSON.makeEncoder().encode(attributes).count > Self.maxAttributesBytes {
                throw Problem.validation(
                    "attributes holds at most \(Self.maxAttributesBytes / 1024) KiB of JSON.",
                    errors: [.init(field: "attributes", code: "too_large", message: "at most \(Self.maxAttributesBytes / 1024) KiB")])
            }
            let lists = [
                ("addTags", self.addTags), ("removeTags", self.removeTags), ("addGroups", self.addGroups), ("removeGroups", self.removeGroups),
            ]
            for (field, names) in lists {
                guard let names else { continue }
                guard names.count <= 50, names.allSatisfy({ (1...100).contains($0.trimmingCharacters(in: .whitespaces).count) }) else {
                    throw Problem.validation(
                        "\(field) lists at most 50 names of 1 to 100 characters.",
                        errors: [.init(field: field, code: "invalid", message: "at most 50 names of 1 to 100 characters")])
                }
            }
        }

        /// The audience part for one user, or `nil` when there is none.
        func audienceChange(for id: EntityID) -> AudienceAssignment.Change? {
            let lists = [self.addTags, self.removeTags, self.addGroups, self.removeGroups]
            guard lists.contains(where: { !($0 ?? []).isEmpty }) || !(self.attributes ?? [:]).isEmpty else { return nil }
            return AudienceAssignment.Change(
                userId: id, addTags: self.addTags, removeTags: self.removeTags, addGroups: self.addGroups, removeGroups: self.removeGroups,
                attributes: self.attributes)
        }
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
        /// What audience did with the tag, group and attribute changes (bulk update only).
        var audience: AudienceAssignment.Response?

        init(_ outcomes: [EntityID: BulkUserRepository.Outcome], audience: AudienceAssignment.Response? = nil) {
            self.audience = audience
            self.requested = outcomes.count
            self.counts = outcomes.values.reduce(into: [:]) { $0[$1.rawValue, default: 0] += 1 }
            self.results = outcomes.map { Result(id: $0.key, outcome: $0.value) }.sorted { $0.id.description < $1.id.description }
        }
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let (body, raw) = try await RequestBodyDecoding.decodeKeepingBody(UpdateBody.self, from: request, context: context)
        try Self.checkIDs(body.userIds)
        try body.checkLimits()
        let allowed = Set(BulkUserRepository.fields.map(\.rawValue))
        let updates = body.updates ?? [:]
        let unknown = updates.keys.filter { !allowed.contains($0) }.sorted()
        let changesAudience = body.audienceChange(for: body.userIds[0]) != nil
        guard !updates.isEmpty || changesAudience, unknown.isEmpty else {
            let list = BulkUserRepository.fields.map(\.rawValue).joined(separator: ", ")
            throw Problem.validation(
                "A bulk update sets some of \(list), adds or removes tags or groups, or sets attributes.",
                errors: unknown.isEmpty
                    ? [.init(field: "updates", code: "required", message: "name at least one of \(list), or tags, groups or attributes")]
                    : unknown.map { .init(field: "updates.\($0)", code: "not_bulk_updatable", message: "not settable in bulk; allowed: \(list)") })
        }
        let input = try RosterJSON.makeDecoder().decode(UserInput.self, from: try RosterJSON.makeEncoder().encode(updates))
        let validated = try ValidatedUserInput(input)
        let (answer, replayed) = try await self.idempotent.run(
            key: try IdempotencyKey.read(request), operation: "users.bulk-update", applicationID: principal.applicationID, request: raw,
            logger: context.logger
        ) { connection in
            let outcomes = try await self.bulk.update(
                body.userIds, with: validated, applicationID: principal.applicationID, on: connection, logger: context.logger)
            // Last, so a failure of audience (or of its answer) rolls the users' part back too.
            let changes = Array(Set(body.userIds)).compactMap(body.audienceChange(for:))
            let audience = changes.isEmpty ? nil : try await self.audience.assign(changes, applicationID: principal.applicationID)
            return try RosterJSON.makeEncoder().encode(Report(outcomes, audience: audience))
        }
        return JSONResponses.stored(answer, replayed: replayed)
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
            return JSONResponses.stored(answer, replayed: replayed)
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
            return JSONResponses.stored(answer, replayed: replayed)
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
}
