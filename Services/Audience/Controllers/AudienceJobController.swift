import Foundation
import Hummingbird
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// `/api/v1/audience/jobs/{id}`: progress and outcome of the service's jobs (bulk updates,
/// index builds, recounts), the row errors of bulk updates, and re-driving failed jobs.
struct AudienceJobController: Sendable {
    let jobs: JobQueue
    let client: PostgresClient

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(":id", use: self.get)
        group.get(":id/errors", use: self.errors)
        group.post(":id/redrive", use: self.redrive)
    }

    /// A job with, for bulk updates, its counts so far.
    struct JobStatus: Encodable, Sendable {
        var job: Job
        var outcome: BulkJobOutcome?

        enum CodingKeys: String, CodingKey { case outcome }

        func encode(to encoder: any Encoder) throws {
            try self.job.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(self.outcome, forKey: .outcome)
        }
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let job = try await self.job(context, applicationID: principal.applicationID)
        let outcome = try await BulkJobOutcome.load(job.id, client: self.client, logger: context.logger)
        return try JSONResponses.json(JobStatus(job: job, outcome: outcome))
    }

    /// A row error of a bulk update.
    struct RowError: Encodable, Sendable {
        var line: Int
        var field: String
        var code: String
        var message: String
    }

    static let errorSpec = ListQuerySpec(sortFields: [:], defaultSort: [], defaultLimit: 100, idColumn: "line")

    @Sendable func errors(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: Self.errorSpec)
        guard query.cursor == nil else { throw Problem.badRequest("This list pages with page and limit.", code: "invalid_query") }
        let job = try await self.job(context, applicationID: principal.applicationID)
        let select: SQLFragment = """
            SELECT line, field, code, message FROM bulk_job_errors WHERE job_id = \(job.id) ORDER BY line, field \(query.pageClause)
            """
        let rows = try await self.client.query(select.query(), logger: context.logger).decode((Int, String, String, String).self).array()
            .map { RowError(line: $0.0, field: $0.1, code: $0.2, message: $0.3) }
        let count: SQLFragment = "SELECT count(*) FROM bulk_job_errors WHERE job_id = \(job.id)"
        let total = try await self.client.query(count.query(), logger: context.logger).decode(Int.self).first(where: { _ in true }) ?? 0
        let page = ListPage(items: Array(rows.prefix(query.limit)), total: total, hasNext: rows.count > query.limit, nextCursor: nil)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func redrive(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("job")
        guard let job = try await self.jobs.redrive(id, applicationID: principal.applicationID, logger: context.logger) else {
            _ = try await self.job(context, applicationID: principal.applicationID)
            throw Problem.conflict("Only a failed job can be re-driven.", code: "job_not_failed")
        }
        return try JSONResponses.json(job, status: .accepted, headers: [.location: "/api/v1/audience/jobs/\(job.id)"])
    }

    private func job(_ context: RosterRequestContext, applicationID: EntityID) async throws -> Job {
        let id = try context.requireID("job")
        guard let job = try await self.jobs.job(id, applicationID: applicationID, logger: context.logger) else {
            throw Problem.notFound("No job \(id) in this application.")
        }
        return job
    }
}
