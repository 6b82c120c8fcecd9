import Foundation
import Logging
import PostgresNIO
import RosterProtocol

/// The PostgreSQL-backed job queue of one service schema.
///
/// Jobs are claimed with `FOR UPDATE SKIP LOCKED` under a lease that the running worker
/// renews. A worker that dies leaves its lease to run out and the job returns to the queue
/// (or fails, when out of attempts). Each claim is identified by the job's attempt number:
/// a worker that lost its lease can no longer change the job. Failures retry with
/// exponential backoff and jitter; a job out of attempts stays `failed` until `redrive`.
public struct JobQueue: Sendable {
    let client: PostgresClient
    /// The service schema whose `jobs` table this is (its LISTEN/NOTIFY channel too).
    public let schema: String
    /// How long a claimed job is reserved before it counts as abandoned (renewed while it runs).
    public static let lease: TimeInterval = 60

    public init(client: PostgresClient, schema: String) {
        self.client = client
        self.schema = schema
    }

    /// The columns `decode` reads, for services that list their own kinds of jobs.
    public static let columns: SQLFragment = """
        id, application_id, kind, status, attempts, max_attempts, progress_done, progress_total, payload, result, \
        last_error, created_at, updated_at, finished_at
        """

    /// Enqueues a job in the caller's transaction; with an idempotency key, a repeat returns the first job.
    public func enqueue(
        kind: String, applicationID: EntityID?, payload: JSONValue = .object([:]), idempotencyKey: String? = nil,
        maxAttempts: Int = 5, runAt: Date? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> Job {
        let insert: SQLFragment = """
            INSERT INTO jobs (id, application_id, kind, payload, max_attempts, run_at, idempotency_key)
            VALUES (\(EntityID.generate()), \(applicationID), \(kind), \(payload), \(maxAttempts), \(runAt ?? Date()), \(idempotencyKey))
            ON CONFLICT (application_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING \(Self.columns)
            """
        if let job = try await Self.decode(connection.query(insert.query(), logger: logger)).first {
            try await NotificationHub.notify("jobs", schema: self.schema, on: connection, logger: logger)
            return job
        }
        // The key was taken, possibly by a transaction that committed while this insert waited:
        // a new statement sees it.
        let existing: SQLFragment = """
            SELECT \(Self.columns) FROM jobs
            WHERE application_id IS NOT DISTINCT FROM \(applicationID) AND kind = \(kind) AND idempotency_key = \(idempotencyKey)
            """
        guard let job = try await Self.decode(connection.query(existing.query(), logger: logger)).first else {
            throw JobQueueError.notStored
        }
        return job
    }

    /// Enqueues a job in its own transaction.
    public func enqueue(
        kind: String, applicationID: EntityID?, payload: JSONValue = .object([:]), idempotencyKey: String? = nil,
        maxAttempts: Int = 5, logger: Logger
    ) async throws -> Job {
        try await self.client.withTransaction(logger: logger) { connection in
            try await self.enqueue(
                kind: kind, applicationID: applicationID, payload: payload, idempotencyKey: idempotencyKey,
                maxAttempts: maxAttempts, on: connection, logger: logger)
        }
    }

    /// A job of the application, or `nil` (also for another application's job).
    public func job(_ id: EntityID, applicationID: EntityID?, logger: Logger) async throws -> Job? {
        let fragment: SQLFragment = """
            SELECT \(Self.columns) FROM jobs WHERE id = \(id) AND application_id IS NOT DISTINCT FROM \(applicationID)
            """
        return try await Self.decode(self.client.query(fragment.query(), logger: logger)).first
    }

    /// Claims the next due job of `kinds`, or returns `nil` when there is none.
    func claim(kinds: [String], logger: Logger) async throws -> Job? {
        let fragment: SQLFragment = """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = now(),
                lease_expires_at = now() + make_interval(secs => \(Self.lease))
            WHERE id = (
                SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() AND kind = ANY(\(kinds))
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING \(Self.columns)
            """
        return try await Self.decode(self.client.query(fragment.query(), logger: logger)).first
    }

    /// Jobs of `kinds` whose lease ran out (their worker died) go back to the queue, or fail
    /// when out of attempts. Each failing job is failed in its own transaction together with
    /// `gaveUp`; one whose hook throws stays as it is for the next sweep, and holds up no other.
    /// Only the caller's kinds: a service may run several workers, each with its own handlers.
    func requeueAbandoned(kinds: [String], logger: Logger, gaveUp: GiveUp = { _, _ in }) async throws {
        let abandoned: SQLFragment = "status = 'running' AND lease_expires_at < now() AND kind = ANY(\(kinds))"
        // One round trip (it runs on every signal): requeue the jobs with attempts left, list the spent ones.
        let sweep: SQLFragment = """
            WITH requeued AS (
                UPDATE jobs SET status = 'queued', lease_expires_at = NULL, updated_at = now(), last_error = \(Self.stopped)
                WHERE \(abandoned) AND attempts < max_attempts)
            SELECT id FROM jobs WHERE \(abandoned) AND attempts >= max_attempts
            """
        let ids = try await self.client.query(sweep.query(), logger: logger).decode(EntityID.self).array()
        for id in ids {
            do {
                try await self.client.withTransaction(logger: logger) { connection in
                    let fail: SQLFragment = """
                        UPDATE jobs SET status = 'failed', finished_at = now(), lease_expires_at = NULL, updated_at = now(),
                            last_error = \(Self.stopped)
                        WHERE id = \(id) AND \(abandoned) AND attempts >= max_attempts
                        RETURNING \(Self.columns)
                        """
                    for job in try await Self.decode(connection.query(fail.query(), logger: logger)) { try await gaveUp(job, connection) }
                }
            } catch {
                logger.warning("could not fail an abandoned job; the next sweep tries again", metadata: ["job.id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// The error recorded on a job whose worker died.
    static let stopped = "the worker stopped while running the job"

    /// What the worker does in the transaction that fails a job for good (its handler's `gaveUp`).
    typealias GiveUp = @Sendable (Job, PostgresConnection) async throws -> Void

    /// Records progress and renews the lease; `false` when this claim no longer holds the job.
    public func reportProgress(_ id: EntityID, attempt: Int, done: Int64, total: Int64?, logger: Logger) async throws -> Bool {
        try await self.updateClaimed(
            id, attempt: attempt,
            """
            progress_done = \(done), progress_total = coalesce(\(total), progress_total), updated_at = now(),
            lease_expires_at = now() + make_interval(secs => \(Self.lease))
            """, logger: logger)
    }

    /// Extends the lease; `false` when this claim no longer holds the job.
    func renewLease(_ id: EntityID, attempt: Int, logger: Logger) async throws -> Bool {
        try await self.updateClaimed(id, attempt: attempt, "lease_expires_at = now() + make_interval(secs => \(Self.lease))", logger: logger)
    }

    func succeed(_ id: EntityID, attempt: Int, result: JSONValue?, logger: Logger) async throws {
        _ = try await self.updateClaimed(
            id, attempt: attempt,
            """
            status = 'succeeded', result = \(result), last_error = NULL, lease_expires_at = NULL, updated_at = now(),
            finished_at = now()
            """, logger: logger)
    }

    /// Schedules a retry with backoff, or marks the job failed when it is out of attempts or
    /// `error` is a `PermanentJobError`; then `gaveUp` runs in the same transaction.
    func fail(_ id: EntityID, attempt: Int, error: any Error, logger: Logger, gaveUp: GiveUp = { _, _ in }) async throws {
        let permanent = error is PermanentJobError
        try await self.client.withTransaction(logger: logger) { connection in
            let update: SQLFragment = """
                UPDATE jobs SET
                    status = CASE WHEN \(permanent) OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN \(permanent) OR attempts >= max_attempts THEN now() END,
                    run_at = now() + make_interval(secs => least(300, power(2, least(attempts, 30))) * (0.5 + random() / 2)),
                    last_error = \(String("\(error)".prefix(1000))), lease_expires_at = NULL, updated_at = now()
                WHERE id = \(id) AND status = 'running' AND attempts = \(attempt)
                RETURNING \(Self.columns)
                """
            for job in try await Self.decode(connection.query(update.query(), logger: logger)) where job.status == .failed {
                try await gaveUp(job, connection)
            }
        }
    }

    /// Applies `assignments` only while the job is running under the given claim.
    private func updateClaimed(_ id: EntityID, attempt: Int, _ assignments: SQLFragment, logger: Logger) async throws -> Bool {
        let update: SQLFragment = """
            UPDATE jobs SET \(assignments) WHERE id = \(id) AND status = 'running' AND attempts = \(attempt) RETURNING id
            """
        return !(try await self.client.query(update.query(), logger: logger).collect().isEmpty)
    }

    /// Puts a failed job (of `kind`, when given) back in the queue with fresh attempts; `nil`
    /// when there is no such failed job.
    public func redrive(_ id: EntityID, applicationID: EntityID?, kind: String? = nil, logger: Logger) async throws -> Job? {
        try await self.client.withTransaction(logger: logger) { connection in
            let fragment: SQLFragment = """
                UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now()
                WHERE id = \(id) AND application_id IS NOT DISTINCT FROM \(applicationID) AND status = 'failed'
                    AND kind = coalesce(\(kind), kind)
                RETURNING \(Self.columns)
                """
            let job = try await Self.decode(connection.query(fragment.query(), logger: logger)).first
            if job != nil { try await NotificationHub.notify("jobs", schema: self.schema, on: connection, logger: logger) }
            return job
        }
    }

    /// Jobs from rows of `columns`.
    public static func decode(_ rows: PostgresRowSequence) async throws -> [Job] {
        var jobs: [Job] = []
        for try await row in rows {
            let (id, application, kind, status, attempts, maxAttempts, done, total, payload, result, lastError, created, updated, finished) =
                try row.decode(
                    (EntityID, EntityID?, String, String, Int, Int, Int64, Int64?, JSONValue, JSONValue?, String?, Date, Date, Date?).self)
            jobs.append(
                Job(
                    id: id, applicationId: application, kind: kind, status: Job.Status(rawValue: status) ?? .queued,
                    attempts: attempts, maxAttempts: maxAttempts, progress: .init(done: done, total: total), payload: payload,
                    result: result, lastError: lastError, createdAt: created, updatedAt: updated, finishedAt: finished))
        }
        return jobs
    }
}

/// The queue could not do what it was asked.
public enum JobQueueError: Error {
    /// An enqueue stored nothing and found no job with its idempotency key.
    case notStored
    /// The running job's lease was taken over (the worker was presumed dead); stop working on it.
    case leaseLost
}
