import Hummingbird
import RosterProtocol
import RosterRuntime

/// User statistics (`/api/v1/users-stats`, `/users/metrics`, `/users/counts`, `/users/stats/*`;
/// seeds 000, 001, 003, 004) and activity ingestion (`POST /users/{id}/activity`).
struct UserStatsController: Sendable {
    let stats: UserStatsRepository
    let activity: ActivityRepository

    func register(users: RouterGroup<RosterRequestContext>, summary: RouterGroup<RosterRequestContext>) {
        summary.get(use: self.summary)
        users.get("metrics", use: self.metrics)
        users.get("counts", use: self.counts)
        users.get("stats/sex", use: self.sex)
        users.get("stats/age", use: self.age)
        users.get("stats/preferences", use: self.preferences)
        users.post(":id/activity", use: self.record)
    }

    @Sendable func summary(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(try await self.stats.summary(applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func metrics(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(try await self.stats.metrics(applicationID: principal.applicationID, logger: context.logger))
    }

    /// Users by type (seed 003 count-users) and by status, and the total.
    @Sendable func counts(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let byType = try await self.stats.counts(by: "type", applicationID: principal.applicationID, logger: context.logger)
        let byStatus = try await self.stats.counts(by: "status", applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(["total": ["all": byType.values.reduce(0, +)], "byType": byType, "byStatus": byStatus])
    }

    @Sendable func sex(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(["bySex": try await self.stats.counts(by: "sex", applicationID: principal.applicationID, logger: context.logger)])
    }

    @Sendable func age(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(["byAge": try await self.stats.ages(applicationID: principal.applicationID, logger: context.logger)])
    }

    @Sendable func preferences(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(try await self.stats.preferences(applicationID: principal.applicationID, logger: context.logger))
    }

    /// `{messagesSent, messagesReceived, visits}` to add (each 0 to 1,000,000, at least one above 0).
    struct ActivityBody: Decodable, Sendable {
        var messagesSent: PatchField<Int64>
        var messagesReceived: PatchField<Int64>
        var visits: PatchField<Int64>

        enum CodingKeys: String, CodingKey { case messagesSent, messagesReceived, visits }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.messagesSent = try container.decodePatch(Int64.self, forKey: .messagesSent)
            self.messagesReceived = try container.decodePatch(Int64.self, forKey: .messagesReceived)
            self.visits = try container.decodePatch(Int64.self, forKey: .visits)
        }
    }

    /// Records activity of a user (by a back-end with an API key, or staff): the counters
    /// afterwards, the new engagement score and `user.activity` for audience.
    @Sendable func record(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("user")
        let body = try await request.decodeJSON(as: ActivityBody.self, context: context)
        var errors: [Problem.FieldError] = []
        let fields = [("messagesSent", body.messagesSent), ("messagesReceived", body.messagesReceived), ("visits", body.visits)]
        for (field, value) in fields where value.isPresent && !(0...1_000_000).contains(value.value ?? -1) {
            errors.append(.init(field: field, code: "invalid", message: "must be a whole number from 0 to 1000000"))
        }
        let (sent, received, visits) = (body.messagesSent.value ?? 0, body.messagesReceived.value ?? 0, body.visits.value ?? 0)
        if sent + received + visits == 0, errors.isEmpty {
            errors.append(.init(field: "visits", code: "required", message: "name at least one count above 0: messagesSent, messagesReceived, visits"))
        }
        guard errors.isEmpty else { throw Problem.validation("The activity is not valid.", errors: errors) }
        guard
            let activity = try await self.activity.record(
                userID: id, applicationID: principal.applicationID, messagesSent: sent, messagesReceived: received, visits: visits,
                logger: context.logger)
        else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(activity)
    }
}
