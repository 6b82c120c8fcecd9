import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Applies a bulk attribute update (seed 002) in batches.
///
/// Each batch is validated, written, recorded (counts, row errors) and removed from the staging
/// table in one transaction: a job that is retried after a crash picks up exactly the rows not
/// yet applied. A row with any bad value is not applied at all; its errors name line and rule.
struct BulkAttributeJob: JobHandler {
    static let kind = "audience.bulk_attributes"
    var kind: String { Self.kind }
    let client: PostgresClient
    let definitions: AttributeDefinitionRepository
    let values: AttributeValueRepository
    static let batchSize = 1_000

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let applicationID = job.applicationId else { return ["skipped": "no application"] }
        let fromText = job.payload.objectField("source")?.stringValue == "csv"
        let logger = context.logger
        let catalog = try await self.definitions.all(applicationID: applicationID, logger: logger)
        var outcome = try await self.outcome(job.id, logger: logger)
        while true {
            let processed = try await self.client.withTransaction(logger: logger) { connection in
                try await self.applyBatch(
                    job.id, applicationID: applicationID, catalog: catalog, fromText: fromText, on: connection, logger: logger)
            }
            guard processed else { break }
            outcome = try await self.outcome(job.id, logger: logger)
            try await context.progress(done: outcome.applied + outcome.failed, total: outcome.total)
        }
        return ["total": .integer(outcome.total), "applied": .integer(outcome.applied), "failed": .integer(outcome.failed)]
    }

    /// Applies the next batch; `false` when none was left.
    private func applyBatch(
        _ jobID: EntityID, applicationID: EntityID, catalog: [String: AttributeDefinition], fromText: Bool,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let validators = catalog.mapValues { AttributeValidator($0) }
        let select: SQLFragment = """
            SELECT line, key_field, key_value, attributes FROM bulk_attribute_rows WHERE job_id = \(jobID)
            ORDER BY line LIMIT \(Self.batchSize) FOR UPDATE
            """
        var rows: [(line: Int, key: UserKey?, raw: String, attributes: JSONValue)] = []
        for try await (line, field, value, attributes) in try await connection.query(select.query(), logger: logger)
            .decode((Int, String, String, JSONValue).self)
        {
            rows.append((line, UserKey.Field(rawValue: field).flatMap { UserKey(value, field: $0) }, value, attributes))
        }
        guard let lastLine = rows.last?.line else { return false }
        let found = try await UserMatcher().match(Set(rows.compactMap(\.key)), applicationID: applicationID, on: connection, logger: logger)
        var writes: [AttributeValueRepository.Write] = []
        var writeLines: [Int] = []
        var linesOfUser: [EntityID: [Int]] = [:]
        var errors: [(line: Int, field: String, code: String, message: String)] = []
        var failedLines: Set<Int> = []
        for row in rows {
            guard let key = row.key else {
                errors.append((row.line, "key", "invalid_key", "\(String(row.raw.prefix(100))) is not a user id, email or phone"))
                failedLines.insert(row.line)
                continue
            }
            guard let userID = found[key] else {
                errors.append((row.line, key.field.rawValue, "no_user", "no user with this \(key.field.rawValue) in the application"))
                failedLines.insert(row.line)
                continue
            }
            var rowWrites: [AttributeValueRepository.Write] = []
            var rowFailed = false
            guard case .object(let attributes) = row.attributes else { continue }
            for (slug, raw) in attributes.sorted(by: { $0.key < $1.key }) {
                guard let validator = validators[slug] else {
                    errors.append((row.line, "attributes.\(slug)", "unknown_attribute", "\(slug): no such attribute"))
                    rowFailed = true
                    continue
                }
                guard let staged = self.values.sealer.openStaged(raw, place: BulkAttributeStaging.place(jobID: jobID, line: row.line, slug: slug))
                else {
                    errors.append((row.line, "attributes.\(slug)", "key_unavailable", "\(slug): the key that sealed this value is gone"))
                    rowFailed = true
                    continue
                }
                switch validator.coerce(staged, fromText: fromText) {
                case .success(let stored?): rowWrites.append(.init(userID: userID, definition: validator.definition, value: stored))
                case .success(nil): continue
                case .failure(let error):
                    errors.append((row.line, error.field, error.code, error.message))
                    rowFailed = true
                }
            }
            if rowFailed {
                failedLines.insert(row.line)
            } else {
                writes += rowWrites
                writeLines += Array(repeating: row.line, count: rowWrites.count)
                linesOfUser[userID, default: []].append(row.line)
            }
        }
        // The regex rules, by PostgreSQL: a row with a value that breaks one writes nothing.
        let broken = try await AttributePatterns.broken(writes, on: connection, logger: logger)
        if !broken.isEmpty {
            for (index, error) in broken { errors.append((writeLines[index], error.field, error.code, error.message)) }
            let brokenLines = Set(broken.keys.map { writeLines[$0] })
            failedLines.formUnion(brokenLines)
            writes = zip(writes, writeLines).filter { !brokenLines.contains($0.1) }.map(\.0)
        }
        let vanished = try await self.values.upsert(writes, applicationID: applicationID, by: "bulk", on: connection, logger: logger)
        for userID in vanished {
            for line in linesOfUser[userID] ?? [] {
                errors.append((line, "key", "no_user", "the user was deleted while the job ran"))
                failedLines.insert(line)
            }
        }
        if !errors.isEmpty {
            let insert: SQLFragment = """
                INSERT INTO bulk_job_errors (job_id, line, field, code, message)
                SELECT \(jobID), u.line, u.field, u.code, u.message
                FROM unnest(\(errors.map(\.line))::int8[], \(errors.map(\.field))::text[], \(errors.map(\.code))::text[],
                    \(errors.map(\.message))::text[]) AS u(line, field, code, message)
                ON CONFLICT DO NOTHING
                """
            try await connection.query(insert.query(), logger: logger)
        }
        let failed = failedLines.count
        let applied = rows.count - failed
        try await connection.query(
            "DELETE FROM bulk_attribute_rows WHERE job_id = \(jobID) AND line <= \(lastLine)", logger: logger)
        try await connection.query(
            "UPDATE bulk_job_outcomes SET applied = applied + \(applied), failed = failed + \(failed) WHERE job_id = \(jobID)",
            logger: logger)
        return true
    }

    private func outcome(_ jobID: EntityID, logger: Logger) async throws -> BulkJobOutcome {
        try await BulkJobOutcome.load(jobID, client: self.client, logger: logger) ?? BulkJobOutcome(total: 0, applied: 0, failed: 0)
    }
}

/// Counts of a bulk job, written with its batches.
struct BulkJobOutcome: Encodable, Sendable {
    var total: Int64
    var applied: Int64
    var failed: Int64

    static func load(_ jobID: EntityID, client: PostgresClient, logger: Logger) async throws -> BulkJobOutcome? {
        let select: SQLFragment = "SELECT total, applied, failed FROM bulk_job_outcomes WHERE job_id = \(jobID)"
        for try await (total, applied, failed) in try await client.query(select.query(), logger: logger).decode((Int64, Int64, Int64).self) {
            return BulkJobOutcome(total: total, applied: applied, failed: failed)
        }
        return nil
    }
}
