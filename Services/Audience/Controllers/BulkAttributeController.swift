import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `PATCH /api/v1/user-attributes` (seed 002 bulk update): inline items or a `text/csv`
/// upload, queued as a job (202). `Idempotency-Key` makes a retried request return the first job.
struct BulkAttributeController: Sendable {
    let definitions: AttributeDefinitionRepository
    let jobs: JobQueue
    let sealer: AttributeSealer

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.patch(use: self.bulkUpdate)
    }

    /// Where the rows come from.
    enum Source {
        case inline([BulkAttributeRow])
        case csv(CSVUpload)
    }

    @Sendable func bulkUpdate(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let key = try IdempotencyKey.read(request)
        let job: Job
        if CSVUpload.isCSV(request) {
            job = try await CSVUpload.receive(request, context: context) { upload in
                try await self.queue(.csv(upload), applicationID: principal.applicationID, key: key, context: context)
            }
        } else {
            // Inline items are read (and refused when malformed) before anything is stored.
            let rows = try await request.decodeJSON(as: BulkAttributeItems.self, context: context).rows()
            job = try await self.queue(.inline(rows), applicationID: principal.applicationID, key: key, context: context)
        }
        return try JSONResponses.json(job, status: .accepted, headers: [.location: "/api/v1/audience/jobs/\(job.id)"])
    }

    /// Stages the rows and queues their job in one transaction; a repeated key returns the first job.
    private func queue(_ source: Source, applicationID: EntityID, key: String?, context: RosterRequestContext) async throws -> Job {
        let catalog = try await self.definitions.all(applicationID: applicationID, logger: context.logger)
        let slugs = Set(catalog.keys)
        let encrypted = Set(catalog.values.filter(\.encrypted).map(\.slug))
        let isCSV = if case .csv = source { true } else { false }
        return try await self.definitions.client.withTransaction(logger: context.logger) { connection in
            let job = try await self.jobs.enqueue(
                kind: BulkAttributeJob.kind, applicationID: applicationID, payload: ["source": .string(isCSV ? "csv" : "json")],
                idempotencyKey: key, on: connection, logger: context.logger)
            let claim: SQLFragment = """
                INSERT INTO bulk_job_outcomes (job_id, application_id, total) VALUES (\(job.id), \(applicationID), 0)
                ON CONFLICT DO NOTHING RETURNING job_id
                """
            // A repeat of a request already queued: the first job answers, nothing is stored again.
            guard try await !connection.query(claim.query(), logger: context.logger).collect().isEmpty else { return job }
            let total: Int
            switch source {
            case .inline(let rows):
                if let unknown = Set(rows.flatMap(\.attributes.keys)).subtracting(slugs).sorted().first {
                    throw Problem.validation(
                        "Unknown attribute \(unknown).",
                        errors: [.init(field: "attributes.\(unknown)", code: "unknown_attribute", message: "no such attribute")])
                }
                try await BulkAttributeStaging.store(
                    rows, jobID: job.id, applicationID: applicationID, encrypted: encrypted, sealer: self.sealer, on: connection,
                    logger: context.logger)
                total = rows.count
            case .csv(let upload):
                total = try await BulkAttributeStaging.storeCSV(
                    upload, context: context, slugs: slugs, encrypted: encrypted, sealer: self.sealer, jobID: job.id,
                    applicationID: applicationID, on: connection)
            }
            try await connection.query("UPDATE bulk_job_outcomes SET total = \(total) WHERE job_id = \(job.id)", logger: context.logger)
            return job
        }
    }
}
