import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Stored imports: an upload staged with its job, progress and row errors for the API, and
/// the steps the `users.import` job takes — each its own transaction that records how far it
/// got, so a retried job goes on where the last attempt stopped.
struct UserImportRepository: Sendable {
    let client: PostgresClient
    let outbox: Outbox
    let jobs: JobQueue

    /// Rows applied per transaction.
    static let chunkSize = 10_000
    /// Rows with tags or groups sent to audience per call.
    static let forwardBatch = 5_000

    /// Stages the upload and queues its job in one transaction: a failure anywhere stages
    /// nothing. With an idempotency key, a repeat of the same upload (`fingerprint`) returns the
    /// first import's id; another upload with the key is a 422.
    func create(
        _ upload: CSVUpload, fileName: String?, mapping: [String: String?]?, fingerprint: String, applicationID: EntityID,
        idempotencyKey: String?, logger: Logger
    ) async throws -> EntityID {
        try await self.client.withTransaction(logger: logger) { connection in
            let job = try await self.jobs.enqueue(
                kind: UserImportJob.kind, applicationID: applicationID, idempotencyKey: idempotencyKey, on: connection, logger: logger)
            let claim: SQLFragment = """
                INSERT INTO user_imports (job_id, application_id, file_name, fingerprint, fields)
                VALUES (\(job.id), \(applicationID), \(fileName), \(fingerprint), '{}')
                ON CONFLICT (job_id) DO UPDATE SET job_id = EXCLUDED.job_id
                RETURNING fingerprint, xmax = 0
                """
            let (stored, inserted) = try await connection.query(claim.query(), logger: logger).decode((String, Bool).self)
                .first(where: { _ in true }) ?? ("", false)
            let reused = Problem(
                status: 422, code: "idempotency_key_reused", title: "Idempotency key reused",
                detail: "This Idempotency-Key was used for another import; send a new key.")
            guard inserted else {
                guard stored == fingerprint else { throw reused }
                return job.id
            }
            // The key's job ran before and its import is gone (swept): never stage rows no job will apply.
            guard job.status == .queued, job.attempts == 0 else { throw reused }
            let summary = try await ImportStaging.stage(
                upload, mapping: mapping, jobID: job.id, applicationID: applicationID, on: connection, logger: logger)
            let fields = summary.columns.fields.map { $0?.rawValue ?? "" }
            let update: SQLFragment = """
                UPDATE user_imports SET fields = \(fields), total = \(summary.total), failed = \(summary.failed) WHERE job_id = \(job.id)
                """
            try await connection.query(update.query(), logger: logger)
            return job.id
        }
    }

    /// Where an import stands.
    struct State: Sendable {
        var fileName: String?
        var fields: [String]
        var total: Int
        var imported: Int
        var failed: Int
        var duplicatesMarked: Bool
        var createdAt: Date
    }

    /// The import of the application, or `nil` (also for another application's).
    func state(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> State? {
        let select: SQLFragment = """
            SELECT file_name, fields, total, imported, failed, duplicates_marked, created_at
            FROM user_imports WHERE job_id = \(id) AND application_id = \(applicationID)
            """
        for try await row in try await self.client.query(select.query(), logger: logger) {
            let (name, fields, total, imported, failed, marked, created) = try row.decode((String?, [String], Int, Int, Int, Bool, Date).self)
            return State(
                fileName: name, fields: fields, total: total, imported: imported, failed: failed, duplicatesMarked: marked, createdAt: created)
        }
        return nil
    }

    /// A row that was not imported, or was imported with a warning.
    struct RowError: Encodable, Sendable {
        var line: Int
        var imported: Bool
        var field: String
        var code: String
        var message: String
    }

    /// A page of the import's row errors in line order, and how many there are.
    func errors(_ id: EntityID, query: ListQuery, logger: Logger) async throws -> ListPage<RowError> {
        let select: SQLFragment = """
            SELECT line, outcome = 'imported', error_field, error_code, error_message FROM user_import_rows
            WHERE job_id = \(id) AND error_code IS NOT NULL ORDER BY line \(query.pageClause)
            """
        let rows = try await self.client.query(select.query(), logger: logger).decode((Int, Bool, String, String, String).self).array()
            .map { RowError(line: $0.0, imported: $0.1, field: $0.2, code: $0.3, message: $0.4) }
        let count: SQLFragment = "SELECT count(*)::int FROM user_import_rows WHERE job_id = \(id) AND error_code IS NOT NULL"
        let total = try await self.client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        return ListPage(items: Array(rows.prefix(query.limit)), total: total, hasNext: rows.count > query.limit, nextCursor: nil)
    }

    /// Fails every row that repeats an email, phone or username of an earlier row of the file.
    func markDuplicates(_ id: EntityID, logger: Logger) async throws {
        try await self.client.withTransaction(logger: logger) { connection in
            // Under the import's row lock, and only once (a second worker after a lost lease finds it done).
            let lock: SQLFragment = "SELECT duplicates_marked FROM user_imports WHERE job_id = \(id) FOR UPDATE"
            guard try await connection.query(lock.query(), logger: logger).decode(Bool.self).first(where: { _ in true }) == false else { return }
            let mark: SQLFragment = """
                WITH firsts AS (
                    SELECT line, email, phone, username,
                        min(line) OVER (PARTITION BY lower(email)) AS email_first,
                        min(line) OVER (PARTITION BY phone) AS phone_first,
                        min(line) OVER (PARTITION BY lower(username)) AS username_first
                    FROM user_import_rows WHERE job_id = \(id) AND outcome = 'pending'),
                repeats AS (
                    SELECT line,
                        CASE WHEN email IS NOT NULL AND email_first < line THEN 'email'
                             WHEN phone IS NOT NULL AND phone_first < line THEN 'phone'
                             WHEN username IS NOT NULL AND username_first < line THEN 'username' END AS field,
                        CASE WHEN email IS NOT NULL AND email_first < line THEN email_first
                             WHEN phone IS NOT NULL AND phone_first < line THEN phone_first
                             WHEN username IS NOT NULL AND username_first < line THEN username_first END AS first
                    FROM firsts),
                marked AS (
                    UPDATE user_import_rows r SET outcome = 'failed', error_field = d.field, error_code = 'duplicate_in_file',
                        error_message = d.field || ' repeats line ' || d.first, duplicate_of = d.first
                    FROM repeats d WHERE r.job_id = \(id) AND r.line = d.line AND d.field IS NOT NULL
                    RETURNING r.line)
                UPDATE user_imports SET duplicates_marked = true, failed = failed + (SELECT count(*) FROM marked) WHERE job_id = \(id)
                """
            try await connection.query(mark.query(), logger: logger)
        }
    }

    /// Applies the next chunk of rows: fails those whose email, phone or username a user
    /// already has, creates the others with their `user.created` events, all in one
    /// transaction. Returns the rows done so far and the total, or `nil` when no chunk was left.
    func applyNextChunk(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> (done: Int, total: Int)? {
        try await self.client.withTransaction(logger: logger) { connection in
            let lock: SQLFragment = """
                SELECT applied_through, (SELECT coalesce(max(line), 0) FROM user_import_rows WHERE job_id = \(id))
                FROM user_imports WHERE job_id = \(id) FOR UPDATE
                """
            guard let (from, last) = try await connection.query(lock.query(), logger: logger).decode((Int, Int).self).first(where: { _ in true }),
                from < last
            else { return nil }
            let through = from + Self.chunkSize
            let range: SQLFragment = "job_id = \(id) AND line > \(from) AND line <= \(through)"
            let taken: SQLFragment = """
                UPDATE user_import_rows r SET outcome = 'failed', error_code = 'already_exists',
                    error_field = CASE
                        WHEN EXISTS (SELECT 1 FROM users u WHERE u.application_id = \(applicationID) AND lower(u.email) = lower(r.email)) THEN 'email'
                        WHEN EXISTS (SELECT 1 FROM users u WHERE u.application_id = \(applicationID) AND u.phone = r.phone) THEN 'phone'
                        ELSE 'username' END,
                    error_message = 'a user of the application already has this value'
                WHERE \(range) AND outcome = 'pending' AND (
                    EXISTS (SELECT 1 FROM users u WHERE u.application_id = \(applicationID) AND lower(u.email) = lower(r.email))
                    OR EXISTS (SELECT 1 FROM users u WHERE u.application_id = \(applicationID) AND u.phone = r.phone)
                    OR EXISTS (SELECT 1 FROM users u WHERE u.application_id = \(applicationID) AND lower(u.username) = lower(r.username)))
                RETURNING line
                """
            let alreadyTaken = try await connection.query(taken.query(), logger: logger).collect().count
            // Two statements, not one: marking the created rows by joining the insert's RETURNING
            // back to the chunk left the planner nothing to go on (a 10,000 × 10,000 nested loop,
            // 18 of a chunk's 19 seconds); once inserted, each row is found by its primary key.
            let insert: SQLFragment = """
                INSERT INTO users (id, application_id, email, phone, username, first_name, last_name, profile_image, language, timezone,
                    country, city, department, sex, birth_date, type, status, email_verified, phone_verified)
                SELECT user_id, \(applicationID), email, phone, username, first_name, last_name, profile_image, language, timezone,
                    country, city, department, sex, birth_date, type, status, email_verified, phone_verified
                FROM user_import_rows WHERE \(range) AND outcome = 'pending' ORDER BY line
                ON CONFLICT DO NOTHING
                """
            try await connection.query(insert.query(), logger: logger)
            let mark: SQLFragment = """
                WITH inserted AS (
                    UPDATE user_import_rows r SET outcome = 'imported' FROM users u
                    WHERE r.job_id = \(id) AND r.line > \(from) AND r.line <= \(through) AND r.outcome = 'pending'
                        AND u.application_id = \(applicationID) AND u.id = r.user_id
                    RETURNING u AS users),
                """
                + self.outbox.eventCTEs(
                    .userCreated,
                    rows: "SELECT (i.users).application_id, (i.users).id, (i.users).version, user_snapshot(i.users) FROM inserted i",
                    versioned: true)
                + " SELECT (SELECT count(*)::int FROM inserted), (SELECT max(seq) FROM outbox_new)"
            let (imported, lastSeq) = try await connection.query(mark.query(), logger: logger).decode((Int, Int64?).self)
                .first(where: { _ in true }) ?? (0, nil)
            // Rows that lost a race with a user created meanwhile.
            let raced: SQLFragment = """
                UPDATE user_import_rows SET outcome = 'failed', error_field = 'row', error_code = 'already_exists',
                    error_message = 'a user of the application took its email, phone or username meanwhile'
                WHERE \(range) AND outcome = 'pending' RETURNING line
                """
            let lost = try await connection.query(raced.query(), logger: logger).collect().count
            let record: SQLFragment = """
                UPDATE user_imports SET applied_through = \(through), imported = imported + \(imported),
                    failed = failed + \(alreadyTaken + lost), last_event_seq = coalesce(\(lastSeq), last_event_seq)
                WHERE job_id = \(id) RETURNING imported + failed, total
                """
            let progress = try await connection.query(record.query(), logger: logger).decode((Int, Int).self).first(where: { _ in true })
            if imported > 0 { try await self.outbox.wake(on: connection, logger: logger) }
            return progress.map { (done: $0.0, total: $0.1) }
        }
    }

    /// Whether `subscriber` has taken every event of the application up to the import's last
    /// (so audience knows the imported users); other applications' events do not hold it up.
    func eventsDelivered(_ id: EntityID, applicationID: EntityID, to subscriber: ServiceName, logger: Logger) async throws -> Bool {
        let select: SQLFragment = """
            SELECT NOT EXISTS (
                SELECT 1 FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq
                WHERE d.subscriber = \(subscriber.rawValue) AND e.application_id = \(applicationID)
                    AND d.event_seq <= (SELECT last_event_seq FROM user_imports WHERE job_id = \(id)))
            """
        return try await self.client.query(select.query(), logger: logger).decode(Bool.self).first(where: { _ in true }) ?? true
    }

    /// An imported row with tags or groups still to be sent to audience.
    struct Assignment: Sendable {
        var line: Int
        var userID: EntityID
        var tags: [String]?
        var groups: [String]?
    }

    /// The next rows with tags or groups that audience has not been sent.
    func nextAssignments(_ id: EntityID, logger: Logger) async throws -> [Assignment] {
        let select: SQLFragment = """
            SELECT r.line, r.user_id, r.tags, r.groups FROM user_import_rows r JOIN user_imports i ON i.job_id = r.job_id
            WHERE r.job_id = \(id) AND r.line > i.forwarded_through AND r.outcome = 'imported'
                AND (r.tags IS NOT NULL OR r.groups IS NOT NULL)
            ORDER BY r.line LIMIT \(Self.forwardBatch)
            """
        return try await self.client.query(select.query(), logger: logger).decode((Int, EntityID, [String]?, [String]?).self).array()
            .map { Assignment(line: $0.0, userID: $0.1, tags: $0.2, groups: $0.3) }
    }

    /// Records that rows up to `line` were sent, with a warning on those naming a refused group.
    func forwarded(
        _ id: EntityID, from first: Int, through line: Int, refused: [AudienceAssignment.GroupRefusal], logger: Logger
    ) async throws {
        try await self.client.withTransaction(logger: logger) { connection in
            if !refused.isEmpty {
                let warn: SQLFragment = """
                    UPDATE user_import_rows r SET error_field = 'groups', error_code = 'group_not_applied',
                        error_message = 'imported without ' || w.names
                    FROM (
                        SELECT x.line, string_agg(g.name || ' (' || f.reason || ')', ', ' ORDER BY g.name) AS names
                        FROM user_import_rows x CROSS JOIN LATERAL unnest(x.groups) AS g(name)
                        JOIN unnest(\(refused.map(\.reference))::text[], \(refused.map(\.reason))::text[]) AS f(reference, reason)
                            ON f.reference = g.name
                        WHERE x.job_id = \(id) AND x.line >= \(first) AND x.line <= \(line) AND x.outcome = 'imported'
                            AND x.error_code IS NULL
                        GROUP BY x.line) w
                    WHERE r.job_id = \(id) AND r.line = w.line
                    """
                try await connection.query(warn.query(), logger: logger)
            }
            try await connection.query(
                "UPDATE user_imports SET forwarded_through = \(line) WHERE job_id = \(id)", logger: logger)
        }
    }
}
