import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Makes the searchable index of one definition match the definition: builds it when the
/// definition is searchable, drops it when it is not (or is gone).
///
/// Each searchable definition has its own partial index on the typed column of its values
/// (`WHERE definition_id = '<id>'`), so a filter or sort on it reads only its rows, in order.
/// Indexes are built and dropped `CONCURRENTLY` (writes go on meanwhile), which cannot run in
/// a transaction. Two concurrent builds on one table can deadlock each other, so the jobs take
/// turns under one session advisory lock, and each reconciles to the definition's state at
/// that moment, so jobs racing each other converge.
struct AttributeIndexJob: JobHandler {
    static let kind = "audience.attribute_index"
    var kind: String { Self.kind }
    let client: PostgresClient

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let (definitionID, applicationID) = job.target("definitionId") else { return ["skipped": "malformed payload"] }
        let logger = context.logger
        return try await self.client.withConnection { connection in
            let lockKey = Self.lockKey
            // Polled, not waited for: a session waiting on the lock would hold a snapshot that the
            // running build waits out, a deadlock PostgreSQL would end by failing one of them.
            while try await connection.query("SELECT pg_try_advisory_lock(\(lockKey))", logger: logger).decode(Bool.self)
                .first(where: { _ in true }) != true
            {
                try await Task.sleep(for: .seconds(1))
            }
            do {
                let result = try await self.reconcile(definitionID, applicationID: applicationID, on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Out of attempts, or its worker died on the last one: a definition whose index is still
    /// `building` shows it `failed` (saving the definition again queues a new build) — unless a
    /// later save's job is still to run, whose `building` that is.
    func gaveUp(_ job: Job, error: (any Error)?, on connection: PostgresConnection, logger: Logger) async throws {
        guard let (definitionID, applicationID) = job.target("definitionId") else { return }
        let update: SQLFragment = """
            UPDATE attribute_definitions SET index_state = 'failed'
            WHERE application_id = \(applicationID) AND id = \(definitionID) AND searchable AND index_state = 'building'
                AND NOT EXISTS (
                    SELECT 1 FROM jobs
                    WHERE kind = \(Self.kind) AND application_id = \(applicationID) AND status IN ('queued', 'running')
                        AND payload ->> 'definitionId' = \(definitionID.description) AND id <> \(job.id))
            """
        try await connection.query(update.query(), logger: logger)
    }

    /// The advisory lock every index build of the schema takes (the same in every process).
    static let lockKey: Int64 = 0x5253_5458_4944_5831

    private func reconcile(_ definitionID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws -> JSONValue
    {
        let select: SQLFragment = """
            SELECT \(AttributeDefinitionRepository.columns) FROM attribute_definitions
            WHERE application_id = \(applicationID) AND id = \(definitionID)
            """
        let definition = try await AttributeDefinitionRepository.decode(connection.query(select.query(), logger: logger)).first
        let name = AttributeDefinition.indexName(definitionID)
        let valid: SQLFragment = """
            SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname = \(name) AND c.relnamespace = current_schema()::regnamespace
            """
        let found = try await connection.query(valid.query(), logger: logger).decode((Bool, String).self).first(where: { _ in true })
        // An index on another column (the type changed) counts as invalid.
        let existing = found.map { isValid, indexDefinition in
            isValid && definition?.type.column.map { indexDefinition.contains($0) } == true
        }
        guard let definition, definition.searchable, let column = definition.type.column else {
            if existing != nil { try await connection.query(PostgresQuery(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS \(name)"), logger: logger) }
            if definition != nil { try await self.setState("none", definitionID, applicationID, on: connection, logger: logger) }
            return ["index": .string(name), "state": "none"]
        }
        if existing == false {
            // A build that failed half-way leaves an invalid index behind; start again.
            try await connection.query(PostgresQuery(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS \(name)"), logger: logger)
        }
        if existing != true {
            // The id is a UUID the service generated (never client text), so it can be spelled
            // into the DDL, which takes no parameters.
            let method = definition.type == .stringList ? "USING gin (\(column))" : "(application_id, \(column), user_id)"
            let ddl = "CREATE INDEX CONCURRENTLY \(name) ON attribute_values \(method) WHERE definition_id = '\(definitionID)'"
            // A failure is retried with backoff; `failed` (see `gaveUp`) only once no attempt is left.
            try await connection.query(PostgresQuery(unsafeSQL: ddl), logger: logger)
        }
        try await self.setState("ready", definitionID, applicationID, on: connection, logger: logger)
        return ["index": .string(name), "state": "ready"]
    }

    private func setState(_ state: String, _ id: EntityID, _ applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        // Only while the definition still wants this state; a later change has queued its own job.
        let update: SQLFragment = """
            UPDATE attribute_definitions SET index_state = \(state)
            WHERE application_id = \(applicationID) AND id = \(id) AND searchable = \(state != "none")
            """
        try await connection.query(update.query(), logger: logger)
    }
}
