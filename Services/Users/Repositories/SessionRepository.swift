import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Sessions and their refresh tokens (stored only as SHA-256 hashes).
struct SessionRepository: Sendable {
    let client: PostgresClient

    static let columns: SQLFragment = "id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, user_agent, ip, cookie"

    /// The sessions list offered to a user and to administrators.
    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["active": .boolean])

    /// Opens a session with its first refresh token, in the caller's transaction.
    func open(
        userID: EntityID, applicationID: EntityID, refreshTokenHash: Data, lifetime: TimeInterval, userAgent: String?, ip: String?,
        cookie: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> EntityID {
        let id = EntityID.generate()
        let expires = Date().addingTimeInterval(lifetime)
        let insert: SQLFragment = """
            INSERT INTO sessions (id, application_id, user_id, expires_at, user_agent, ip, cookie)
            VALUES (\(id), \(applicationID), \(userID), \(expires), \(userAgent.map { String($0.prefix(300)) }), \(ip), \(cookie))
            """
        try await connection.query(insert.query(), logger: logger)
        try await connection.query(
            "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (\(refreshTokenHash), \(id), \(expires))",
            logger: logger)
        return id
    }

    /// What presenting a refresh token found.
    enum Presented {
        /// A live token (or one used moments ago, see `reuseGrace`): its successor (already
        /// stored) continues the family.
        case rotated(sessionID: EntityID, userID: EntityID, applicationID: EntityID, cookie: Bool)
        /// The token was used earlier: someone replayed it; the whole family is now revoked.
        case reused
        /// The request may not use this session's token (browser mode without its CSRF token).
        case refused
        /// Unknown, expired, or its session is over.
        case invalid
    }

    /// A used token presented again within this many seconds gets a successor too instead of
    /// ending the session: two tabs sharing a cookie, or a client retrying a lost answer.
    static let reuseGrace: TimeInterval = 10

    /// Uses a refresh token and stores its successor, in the caller's transaction. The row
    /// locks make concurrent uses of one token take turns; `accepts` sees the session before
    /// anything changes (the CSRF check of browser mode).
    func rotate(
        presentedHash: Data, successorHash: Data, lifetime: TimeInterval, accepts: (EntityID) -> Bool, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Presented {
        let rows = try await connection.query(
            """
            SELECT t.session_id, t.used_at IS NOT NULL,
                   t.used_at > now() - make_interval(secs => \(Self.reuseGrace)),
                   t.expires_at > now(), s.revoked_at IS NULL AND s.expires_at > now(), s.user_id, s.application_id, s.cookie
            FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
            WHERE t.token_hash = \(presentedHash)
            FOR UPDATE OF t, s
            """, logger: logger)
        var found: (EntityID, Bool, Bool?, Bool, Bool, EntityID, EntityID, Bool)?
        for try await row in rows.decode((EntityID, Bool, Bool?, Bool, Bool, EntityID, EntityID, Bool).self) { found = row }
        guard let (sessionID, used, withinGrace, fresh, live, userID, applicationID, cookie) = found else { return .invalid }
        guard accepts(sessionID) else { return .refused }
        if used, withinGrace != true {
            try await self.revoke(sessionID, reason: "refresh_token_reused", on: connection, logger: logger)
            return .reused
        }
        guard fresh, live else { return .invalid }
        let expires = Date().addingTimeInterval(lifetime)
        if !used {
            try await connection.query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = \(presentedHash)", logger: logger)
        }
        try await connection.query(
            "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (\(successorHash), \(sessionID), \(expires))",
            logger: logger)
        try await connection.query(
            "UPDATE sessions SET last_used_at = now_ms(), expires_at = \(expires) WHERE id = \(sessionID)", logger: logger)
        return .rotated(sessionID: sessionID, userID: userID, applicationID: applicationID, cookie: cookie)
    }

    /// The session a refresh token belongs to, if the token is known.
    func session(ofRefreshToken hash: Data, logger: Logger) async throws -> (sessionID: EntityID, userID: EntityID, applicationID: EntityID)? {
        let rows = try await self.client.query(
            """
            SELECT s.id, s.user_id, s.application_id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
            WHERE t.token_hash = \(hash)
            """, logger: logger)
        for try await (id, user, application) in rows.decode((EntityID, EntityID, EntityID).self) { return (id, user, application) }
        return nil
    }

    /// Ends one session (no-op when it already ended).
    func revoke(_ sessionID: EntityID, reason: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE sessions SET revoked_at = now_ms(), revoked_reason = \(reason) WHERE id = \(sessionID) AND revoked_at IS NULL",
            logger: logger)
    }

    /// Ends a session of the user; `false` when the user has no such session.
    func revoke(_ sessionID: EntityID, userID: EntityID, applicationID: EntityID, reason: String, logger: Logger) async throws -> Bool {
        let update: SQLFragment = """
            UPDATE sessions SET revoked_at = coalesce(revoked_at, now_ms()), revoked_reason = coalesce(revoked_reason, \(reason))
            WHERE id = \(sessionID) AND user_id = \(userID) AND application_id = \(applicationID) RETURNING id
            """
        return !(try await self.client.query(update.query(), logger: logger).collect().isEmpty)
    }

    /// Ends every live session of a user, except `keeping`; returns how many ended.
    @discardableResult
    func revokeAll(
        userID: EntityID, applicationID: EntityID, keeping: EntityID? = nil, reason: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let update: SQLFragment = """
            UPDATE sessions SET revoked_at = now_ms(), revoked_reason = \(reason)
            WHERE application_id = \(applicationID) AND user_id = \(userID) AND revoked_at IS NULL
              AND id IS DISTINCT FROM \(keeping)
            RETURNING id
            """
        return try await connection.query(update.query(), logger: logger).collect().count
    }

    /// `revokeAll` in its own transaction.
    @discardableResult
    func revokeAll(userID: EntityID, applicationID: EntityID, keeping: EntityID? = nil, reason: String, logger: Logger) async throws -> Int {
        try await self.client.withTransaction(logger: logger) { connection in
            try await self.revokeAll(userID: userID, applicationID: applicationID, keeping: keeping, reason: reason, on: connection, logger: logger)
        }
    }

    func list(_ query: ListQuery, userID: EntityID, applicationID: EntityID, current: EntityID?, logger: Logger) async throws -> ListPage<Session> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)", "user_id = \(userID)"]
        if case .boolean(let active) = query.filter("active") {
            conditions.append(active ? "revoked_at IS NULL AND expires_at > now()" : "(revoked_at IS NOT NULL OR expires_at <= now())")
        }
        return try await query.load(
            Self.columns, from: "sessions", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: { rows in
                var sessions: [Session] = []
                for try await (id, user, created, used, expires, revoked, reason, agent, ip, cookie) in rows.decode(
                    (EntityID, EntityID, Date, Date, Date, Date?, String?, String?, String?, Bool).self)
                {
                    sessions.append(
                        Session(
                            id: id, userId: user, createdAt: created, lastUsedAt: used, expiresAt: expires, revokedAt: revoked,
                            revokedReason: reason, userAgent: agent, ip: ip, cookie: cookie, current: id == current))
                }
                return sessions
            })
    }
}
