import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Heartbeats, current URLs and online users (seed 003), in the `presence` table.
///
/// A user is online while their last heartbeat is younger than `onlineSeconds`.
struct PresenceRepository: Sendable {
    let client: PostgresClient
    let onlineSeconds: Int

    /// What is known of one user's presence.
    struct State: Encodable, Sendable {
        var online: Bool
        var lastSeenAt: Date?
        var currentUrl: String?
    }

    /// The list of online users (`GET /presence/online`).
    static let onlineSpec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "lastSeenAt": .init(column: "last_seen_at", type: .timestamp),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["exclude": .ids, "agents": .boolean],
        otherParameters: [])

    /// Marks the user seen now (and on `url`, when given); `false` when there is no such user.
    func heartbeat(_ userID: EntityID, url: String?, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let upsert: SQLFragment = """
            INSERT INTO presence (application_id, user_id, last_seen_at, current_url)
            SELECT application_id, id, now(), \(url) FROM users WHERE application_id = \(applicationID) AND id = \(userID)
            ON CONFLICT (application_id, user_id) DO UPDATE
                SET last_seen_at = excluded.last_seen_at, current_url = coalesce(excluded.current_url, presence.current_url)
            RETURNING user_id
            """
        return !(try await self.client.query(upsert.query(), logger: logger).collect().isEmpty)
    }

    /// Sets the user's current URL without marking them seen; `false` when there is no such user.
    func setURL(_ userID: EntityID, url: String, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let upsert: SQLFragment = """
            INSERT INTO presence (application_id, user_id, current_url)
            SELECT application_id, id, \(url) FROM users WHERE application_id = \(applicationID) AND id = \(userID)
            ON CONFLICT (application_id, user_id) DO UPDATE SET current_url = excluded.current_url
            RETURNING user_id
            """
        return !(try await self.client.query(upsert.query(), logger: logger).collect().isEmpty)
    }

    /// The user's presence; `nil` when there is no such user.
    func state(of userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> State? {
        let select: SQLFragment = """
            SELECT p.last_seen_at, p.current_url, coalesce(p.last_seen_at > \(self.since), false)
            FROM users u LEFT JOIN presence p ON p.application_id = u.application_id AND p.user_id = u.id
            WHERE u.application_id = \(applicationID) AND u.id = \(userID)
            """
        for try await (seen, url, online) in try await self.client.query(select.query(), logger: logger).decode((Date?, String?, Bool).self) {
            return State(online: online, lastSeenAt: seen, currentUrl: url)
        }
        return nil
    }

    /// A page of the users online now; `exclude` leaves ids out, `agents=true` keeps agents and administrators only.
    func online(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<UserResponse> {
        var conditions: [SQLFragment] = ["TRUE"]
        if case .ids(let ids) = query.filter("exclude") { conditions.append("NOT (id = ANY(\(ids)))") }
        if case .boolean(true) = query.filter("agents") { conditions.append("type IN ('agent', 'admin')") }
        let source: SQLFragment = """
            (SELECT u.*, p.last_seen_at FROM presence p JOIN users u ON u.application_id = p.application_id AND u.id = p.user_id
             WHERE p.application_id = \(applicationID) AND p.last_seen_at > \(self.since)) AS online
            """
        return try await query.load(
            UserRepository.columns, from: source, where: conditions, spec: Self.onlineSpec, client: self.client, logger: logger,
            decode: { try await UserRepository.decode($0).map(UserResponse.init) })
    }

    /// How many agents and administrators are online (seed 003 agents-online).
    func agentsOnline(applicationID: EntityID, logger: Logger) async throws -> Int {
        let select: SQLFragment = """
            SELECT count(*)::int FROM presence p JOIN users u ON u.application_id = p.application_id AND u.id = p.user_id
            WHERE p.application_id = \(applicationID) AND p.last_seen_at > \(self.since) AND u.type IN ('agent', 'admin')
            """
        return try await self.client.query(select.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
    }

    /// The instant after which a heartbeat counts as online.
    private var since: SQLFragment { "now() - make_interval(secs => \(Double(self.onlineSeconds)))" }
}
