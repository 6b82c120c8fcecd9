import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Broadcasts: creating them with their fan-out job, reading their progress, and writing one
/// batch of recipients at a time.
struct BroadcastRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    /// Attempts of each email and webhook delivery the fan-out queues.
    let deliveryAttempts: Int

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["status": .choice(["queued", "running", "completed", "failed"])])

    static let columns: SQLFragment = """
        id, type_code, title, message, data, channels, target_kind, target_id, cardinality(target_user_ids), status, recipients, \
        delivered, skipped, unknown, error, created_at, started_at, completed_at, queued
        """

    /// Stores the broadcast and queues its fan-out in the caller's transaction.
    func create(_ send: BroadcastInput.Checked, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws
        -> Broadcast
    {
        let id = EntityID.generate()
        let insert: SQLFragment = """
            INSERT INTO broadcasts (application_id, id, type_id, type_code, title, message, data, channels, type_critical,
                type_default_enabled, target_kind, target_id, target_user_ids)
            VALUES (\(applicationID), \(id), \(send.type.id), \(send.type.code), \(send.title), \(send.message), \(send.data),
                \(send.channels.map(\.rawValue)), \(send.type.critical), \(send.type.defaultEnabled), \(send.target.rawValue),
                \(send.targetID), \(send.userIDs))
            RETURNING \(Self.columns)
            """
        let broadcast = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
        _ = try await self.jobs.enqueue(
            kind: BroadcastJob.kind, applicationID: applicationID, payload: ["broadcastId": .string(id.description)],
            maxAttempts: BroadcastJob.maxAttempts, on: connection, logger: logger)
        return broadcast
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Broadcast? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM broadcasts WHERE application_id = \(applicationID) AND id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Broadcast> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let status) = query.filter("status") { conditions.append("status = \(status)") }
        return try await query.load(
            Self.columns, from: "broadcasts", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    /// The fan-out's view of a broadcast; `nil` when there is none.
    func state(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> BroadcastState? {
        let select: SQLFragment = """
            SELECT type_id, type_code, title, message, data, channels, type_critical, type_default_enabled, target_kind, target_id,
                status, cursor
            FROM broadcasts WHERE application_id = \(applicationID) AND id = \(id)
            """
        for try await row in try await self.client.query(select.query(), logger: logger) {
            let cells = row.makeRandomAccess()
            return BroadcastState(
                id: id, applicationID: applicationID, typeID: try cells[0].decode(EntityID?.self), typeCode: try cells[1].decode(String.self),
                title: try cells[2].decode(String.self), message: try cells[3].decode(String.self), data: try cells[4].decode(JSONValue.self),
                channels: try cells[5].decode([String].self).compactMap(Channel.init(rawValue:)), critical: try cells[6].decode(Bool.self),
                defaultEnabled: try cells[7].decode(Bool.self),
                targetKind: Broadcast.TargetKind(rawValue: try cells[8].decode(String.self)) ?? .users,
                targetID: try cells[9].decode(EntityID?.self),
                status: Broadcast.Status(rawValue: try cells[10].decode(String.self)) ?? .failed, cursor: try cells[11].decode(EntityID?.self))
        }
        return nil
    }

    /// Writes one page of recipients and moves the cursor past it, in one transaction; `false`
    /// when another worker moved the cursor first (this page is then not written again).
    func deliver(_ page: RecipientPages.Page, of broadcast: BroadcastState, logger: Logger) async throws -> Bool {
        try await self.client.withTransaction(logger: logger) { connection in
            let app = broadcast.applicationID
            let claim: SQLFragment = """
                SELECT 1 FROM broadcasts
                WHERE application_id = \(app) AND id = \(broadcast.id) AND cursor IS NOT DISTINCT FROM \(broadcast.cursor)
                    AND status IN ('queued', 'running')
                FOR UPDATE
                """
            guard try await !connection.query(claim.query(), logger: logger).collect().isEmpty else { return false }
            let wants = (email: broadcast.channels.contains(.email), webhook: broadcast.channels.contains(.webhook))
            // Whether the user's setting (or the type's default; critical types always) lets the
            // type through on `channel`: one primary-key probe per recipient, and only for the
            // channels the send uses (a per-row aggregate over all settings halved the in-app
            // fan-out's speed).
            func allowed(_ channel: Channel) -> SQLFragment {
                guard broadcast.channels.contains(channel) else { return "false" }
                return """
                    (\(broadcast.critical) OR coalesce((
                        SELECT s.enabled FROM notification_settings s
                        WHERE s.application_id = \(app) AND s.user_id = known.user_id AND s.type_id = \(broadcast.typeID)
                            AND s.channel = \(channel.rawValue)
                    ), \(broadcast.defaultEnabled)))
                    """
            }
            // Read only when emailing: without it the join is answered from the index alone.
            let hasEmail: SQLFragment = wants.email ? "r.email IS NOT NULL" : "false"
            // Email and webhook deliveries are queued as jobs in the same transaction.
            let queue: SQLFragment =
                wants.email || wants.webhook
                ? """
                    INSERT INTO jobs (id, application_id, kind, payload, max_attempts, idempotency_key)
                    SELECT gen_random_uuid(), \(app), \(DeliveryJob.kind),
                        jsonb_build_object('channel', c.channel, 'userId', chosen.user_id, 'broadcastId', \(broadcast.id.description)),
                        \(self.deliveryAttempts), \(broadcast.id.description) || '/' || chosen.user_id || '/' || c.channel
                    FROM chosen CROSS JOIN LATERAL (VALUES ('email', chosen.email), ('webhook', chosen.webhook)) AS c(channel, wanted)
                    WHERE c.wanted
                    ON CONFLICT (application_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING 1
                    """
                : "SELECT 1 WHERE false"
            // Per recipient and channel: wanted by the send, allowed by the user's settings, and
            // possible (an email address, an application webhook endpoint). Unknown ids and users
            // no channel reaches are counted, not written. In-app rows are written here.
            let fanOut: SQLFragment = """
                WITH batch AS (
                    SELECT b.user_id, b.id FROM unnest(\(page.ids), \(page.ids.map { _ in EntityID.generate() })) AS b(user_id, id)
                ), known AS (
                    SELECT batch.*, \(hasEmail) AS has_email
                    FROM batch JOIN recipients r ON r.application_id = \(app) AND r.user_id = batch.user_id
                ), chosen AS (
                    SELECT known.*, \(allowed(.inApp)) AS in_app,
                        known.has_email AND \(allowed(.email)) AS email,
                        \(wants.webhook) AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.application_id = \(app))
                            AND \(allowed(.webhook)) AS webhook
                    FROM known
                ), written AS (
                    INSERT INTO notifications (application_id, id, user_id, broadcast_id, type_code, title, message, data)
                    SELECT \(app), chosen.id, chosen.user_id, \(broadcast.id), \(broadcast.typeCode), \(broadcast.title),
                        \(broadcast.message), \(broadcast.data)
                    FROM chosen WHERE chosen.in_app
                    ON CONFLICT (application_id, broadcast_id, user_id) WHERE broadcast_id IS NOT NULL DO NOTHING
                    RETURNING 1
                ), queued AS (
                    \(queue)
                )
                UPDATE broadcasts SET
                    cursor = coalesce(\(page.ids.last), cursor),
                    recipients = recipients + (SELECT count(*) FROM batch),
                    unknown = unknown + (SELECT count(*) FROM batch) - (SELECT count(*) FROM known),
                    skipped = skipped + (SELECT count(*) FROM chosen WHERE NOT (in_app OR email OR webhook)),
                    delivered = delivered + (SELECT count(*) FROM written),
                    queued = queued + (SELECT count(*) FROM queued),
                    status = CASE WHEN \(page.isLast) THEN 'completed' ELSE 'running' END,
                    started_at = coalesce(started_at, now_ms()),
                    completed_at = CASE WHEN \(page.isLast) THEN now_ms() END
                WHERE application_id = \(app) AND id = \(broadcast.id)
                """
            try await connection.query(fanOut.query(), logger: logger)
            if wants.email || wants.webhook { try await NotificationHub.notify("jobs", schema: self.jobs.schema, on: connection, logger: logger) }
            return true
        }
    }

    /// A broadcast's message as its email and webhook deliveries send it; `nil` when there is none.
    func message(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws
        -> (type: String, title: String, message: String, data: JSONValue)?
    {
        let select: SQLFragment = "SELECT type_code, title, message, data FROM broadcasts WHERE application_id = \(applicationID) AND id = \(id)"
        for try await row in try await self.client.query(select.query(), logger: logger).decode((String, String, String, JSONValue).self) {
            return row
        }
        return nil
    }

    /// Ends a broadcast that cannot go on (its group was deleted).
    func fail(_ id: EntityID, applicationID: EntityID, reason: String, logger: Logger) async throws {
        try await self.client.query(Self.failing(id, applicationID: applicationID, reason: reason).query(), logger: logger)
    }

    /// Ends a broadcast in the caller's transaction (its job gave up).
    func fail(_ id: EntityID, applicationID: EntityID, reason: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(Self.failing(id, applicationID: applicationID, reason: reason).query(), logger: logger)
    }

    private static func failing(_ id: EntityID, applicationID: EntityID, reason: String) -> SQLFragment {
        """
        UPDATE broadcasts SET status = 'failed', error = \(reason), completed_at = now_ms()
        WHERE application_id = \(applicationID) AND id = \(id) AND status IN ('queued', 'running')
        """
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Broadcast] {
        var items: [Broadcast] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let counts = try (10...13).map { try cells[$0].decode(Int64.self) }
            items.append(
                Broadcast(
                    id: try cells[0].decode(EntityID.self), type: try cells[1].decode(String.self), title: try cells[2].decode(String.self),
                    message: try cells[3].decode(String.self), data: try cells[4].decode(JSONValue.self),
                    channels: try cells[5].decode([String].self),
                    target: .init(
                        kind: Broadcast.TargetKind(rawValue: try cells[6].decode(String.self)) ?? .users, id: try cells[7].decode(EntityID?.self),
                        userCount: try cells[8].decode(Int?.self)),
                    status: Broadcast.Status(rawValue: try cells[9].decode(String.self)) ?? .failed, recipients: counts[0],
                    delivered: counts[1], skipped: counts[2], unknown: counts[3], error: try cells[14].decode(String?.self),
                    createdAt: try cells[15].decode(Date.self), startedAt: try cells[16].decode(Date?.self),
                    completedAt: try cells[17].decode(Date?.self), queued: try cells[18].decode(Int64.self)))
        }
        return items
    }
}
