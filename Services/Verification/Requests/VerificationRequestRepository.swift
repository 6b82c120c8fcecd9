import Crypto
import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Verification requests: issued set-wise with their delivery jobs in one transaction, checked
/// under a row lock, listed for admins.
struct VerificationRequestRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    let configuration: VerificationConfiguration

    /// Wrong codes a request takes before it is locked.
    static let maxAttempts = 5
    /// Wrong codes a user's requests of one type take in a day, however many are asked for.
    static let maxDailyAttempts = 20

    /// A code to issue: for whom, of which type, to where.
    struct Draft: Sendable {
        var userID: EntityID
        var kind: VerificationCodes.Kind
        /// An email address, or a phone number for `PHON` (already normalized).
        var destination: String
        var idempotencyKey: String?
    }

    /// Issues one request per draft in the caller's transaction: older active requests of the
    /// same user and type are superseded, each code's delivery is queued, and a draft whose
    /// idempotency key was used before answers that request (`replayed`). With `cooldown`, a
    /// code of the same type sent to the same address within the cool-down is a 429.
    func issue(_ drafts: [Draft], applicationID: EntityID, cooldown: Bool, on connection: PostgresConnection, logger: Logger)
        async throws -> [VerificationCodes.Issued]
    {
        guard !drafts.isEmpty else { return [] }
        // Issues for one user take turns with each other and with the events that copy the
        // user's profile onto their requests (in a fixed order; an event batch takes its users'
        // locks in event order, and should the two ever deadlock, PostgreSQL ends one: the
        // batch is redelivered, a request answers 503 and is retried).
        try await KnownUserRepository.lock(Set(drafts.map(\.userID)).sorted(), applicationID: applicationID, on: connection, logger: logger)

        var answers: [String: VerificationCodes.Issued] = [:]
        let keys = drafts.compactMap(\.idempotencyKey)
        if !keys.isEmpty {
            let replays: SQLFragment = """
                SELECT idempotency_key, id, type_code, expires_at FROM verification_requests
                WHERE application_id = \(applicationID) AND idempotency_key = ANY(\(keys))
                """
            for try await (key, id, type, expires) in try await connection.query(replays.query(), logger: logger).decode(
                (String, EntityID, String, Date).self)
            {
                answers[key] = VerificationCodes.Issued(id: id, type: VerificationCodes.Kind(rawValue: type) ?? .registration, expiresAt: expires, replayed: true)
            }
        }
        // One new request per user and type: the last draft wins.
        var seen = Set<String>()
        let fresh = drafts.reversed().filter { draft in
            guard draft.idempotencyKey.map({ answers[$0] == nil }) ?? true else { return false }
            return seen.insert(Self.slot(draft.userID, draft.kind.rawValue)).inserted
        }.reversed()
        if cooldown, self.configuration.cooldownSeconds > 0, !fresh.isEmpty {
            try await self.checkCooldown(Array(fresh), applicationID: applicationID, on: connection, logger: logger)
        }

        let issued = fresh.isEmpty ? [:] : try await self.insert(Array(fresh), applicationID: applicationID, on: connection, logger: logger)
        return drafts.compactMap { draft in
            if let key = draft.idempotencyKey, let replay = answers[key] { return replay }
            return issued[Self.slot(draft.userID, draft.kind.rawValue)]
        }
    }

    /// A user and type: one request of each is issued per call.
    private static func slot(_ userID: EntityID, _ type: String) -> String { "\(userID)/\(type)" }

    /// Issues one request in its own transaction.
    func issue(_ draft: Draft, applicationID: EntityID, cooldown: Bool, logger: Logger) async throws -> VerificationCodes.Issued {
        let issued = try await self.client.withTransaction(logger: logger) { connection in
            try await self.issue([draft], applicationID: applicationID, cooldown: cooldown, on: connection, logger: logger)
        }
        guard let first = issued.first else { throw Problem.internalError() }
        return first
    }

    /// 429 when a code of a draft's type went to its address within the cool-down.
    private func checkCooldown(_ drafts: [Draft], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        let seconds = self.configuration.cooldownSeconds
        let select: SQLFragment = """
            SELECT coalesce(max(ceil(extract(epoch FROM r.created_at + make_interval(secs => \(seconds)) - now()))), 0)::int
            FROM unnest(\(drafts.map(\.kind.rawValue))::text[], \(drafts.map(\.destination))::text[]) AS d(type_code, destination)
            JOIN verification_requests r ON r.application_id = \(applicationID) AND r.type_code = d.type_code
                AND lower(r.destination) = lower(d.destination) AND r.created_at > now() - make_interval(secs => \(seconds))
            """
        let wait = try await connection.query(select.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        if wait > 0 {
            throw TooManyRequests(
                retryAfter: wait, code: "resend_cooldown", detail: "A code was sent to this address a moment ago; it is still valid.")
        }
    }

    /// Supersedes, inserts and queues the deliveries of `drafts` (one per user and type); the
    /// requests by `slot`.
    private func insert(_ drafts: [Draft], applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws -> [String: VerificationCodes.Issued]
    {
        let types = Dictionary(uniqueKeysWithValues: RequestType.catalog(self.configuration).map { ($0.code, $0) })
        let ids = drafts.map { _ in EntityID.generate() }
        let secrets = ids.map { VerificationSecret.generate(for: $0) }
        let key = self.configuration.codeKey
        let supersede: SQLFragment = """
            UPDATE verification_requests r SET status = 'superseded'
            FROM unnest(\(drafts.map(\.userID)), \(drafts.map(\.kind.rawValue))::text[]) AS d(user_id, type_code)
            WHERE r.application_id = \(applicationID) AND r.user_id = d.user_id AND r.type_code = d.type_code AND r.status = 'active'
            """
        try await connection.query(supersede.query(), logger: logger)
        let insert: SQLFragment = """
            INSERT INTO verification_requests (application_id, id, type_code, type_name, user_id, destination, channel, code_hash,
                token_hash, expires_at, idempotency_key, email, username, full_name)
            SELECT \(applicationID), d.id, d.type_code, d.type_name, d.user_id, d.destination, d.channel, decode(d.code_hash, 'hex'),
                decode(d.token_hash, 'hex'), now() + make_interval(secs => d.lifetime), nullif(d.key, ''), k.email, k.username,
                nullif(trim(coalesce(k.first_name, '') || ' ' || coalesce(k.last_name, '')), '')
            FROM unnest(
                \(ids), \(drafts.map(\.kind.rawValue))::text[], \(drafts.map { types[$0.kind]!.name })::text[], \(drafts.map(\.userID)),
                \(drafts.map(\.destination))::text[], \(drafts.map { types[$0.kind]!.channel.rawValue })::text[],
                \(zip(ids, secrets).map { Hex.encode(VerificationSecret.codeHash($1.code, requestID: $0, key: key)) })::text[],
                \(secrets.map { Hex.encode(VerificationSecret.tokenHash($0.token, key: key)) })::text[],
                \(drafts.map { Int(self.configuration.lifetimes[$0.kind]!.components.seconds) })::int[],
                \(drafts.map { $0.idempotencyKey ?? "" })::text[]
            ) AS d(id, type_code, type_name, user_id, destination, channel, code_hash, token_hash, lifetime, key)
            LEFT JOIN known_users k ON k.application_id = \(applicationID) AND k.user_id = d.user_id
            RETURNING id, user_id, type_code, expires_at
            """
        var issued: [String: VerificationCodes.Issued] = [:]
        for try await (id, user, type, expires) in try await connection.query(insert.query(), logger: logger).decode(
            (EntityID, EntityID, String, Date).self)
        {
            issued[Self.slot(user, type)] = VerificationCodes.Issued(
                id: id, type: VerificationCodes.Kind(rawValue: type) ?? .registration, expiresAt: expires, replayed: false)
        }
        // The codes travel sealed in their delivery jobs, bound to their request.
        let payloads = try zip(ids, secrets).map { id, secret in
            let sealed = try self.configuration.keys.sealJSON(
                ["code": .string(secret.code), "token": .string(secret.token)], context: CodeDeliveryJob.sealingContext(id))
            return String(decoding: try RosterJSON.makeEncoder().encode(JSONValue.object(["requestId": .string(id.description), "secret": sealed])), as: UTF8.self)
        }
        let queue: SQLFragment = """
            INSERT INTO jobs (id, application_id, kind, payload, max_attempts, idempotency_key)
            SELECT gen_random_uuid(), \(applicationID), \(CodeDeliveryJob.kind), d.payload::jsonb, \(self.configuration.deliveryAttempts),
                d.request_id::text
            FROM unnest(\(ids), \(payloads)::text[]) AS d(request_id, payload)
            """
        try await connection.query(queue.query(), logger: logger)
        try await NotificationHub.notify("jobs", schema: self.jobs.schema, on: connection, logger: logger)
        return issued
    }
}
