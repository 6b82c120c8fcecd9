import Foundation
import Logging
import PostgresNIO
import RosterProtocol

/// Which events a subscribing service receives from this producer.
public struct EventRoute: Sendable {
    public var subscriber: ServiceName
    public var eventTypes: Set<EventType>

    public init(subscriber: ServiceName, eventTypes: Set<EventType>) {
        self.subscriber = subscriber
        self.eventTypes = eventTypes
    }
}

/// Writes events into the producer's outbox inside the caller's transaction.
///
/// The change and its events commit together or not at all; the dispatcher sends them
/// afterwards. Each event gets one delivery row per subscribing service.
public struct Outbox: Sendable {
    public let source: ServiceName
    public let routes: [EventRoute]

    public init(source: ServiceName, routes: [EventRoute]) {
        self.source = source
        self.routes = routes
    }

    /// A new event about `subjectID`, stamped with the current request's id.
    public func event(
        _ type: EventType, applicationID: EntityID, subjectID: EntityID, version: Int64?, payload: some Encodable
    ) throws -> EventEnvelope {
        let data = try RosterJSON.makeEncoder().encode(payload)
        let value = try RosterJSON.makeDecoder().decode(JSONValue.self, from: data)
        return EventEnvelope(
            id: .generate(), type: type, source: self.source.rawValue, applicationId: applicationID, subjectId: subjectID,
            version: version, occurredAt: Date(), requestId: RequestMetadata.current?.requestID, payload: value)
    }

    /// Appends `events` (set-wise: one statement however many) and wakes the dispatcher on commit.
    public func append(_ events: [EventEnvelope], on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        let encoder = RosterJSON.makeEncoder()
        let payloads = try events.map { String(decoding: try encoder.encode($0.payload), as: UTF8.self) }
        let insert: SQLFragment = """
            WITH outbox_new AS (
                INSERT INTO outbox_events (id, event_type, application_id, subject_id, version, payload, request_id, occurred_at)
                SELECT id, event_type, application_id, subject_id, NULLIF(version, -1), payload::jsonb, NULLIF(request_id, ''), occurred_at
                FROM unnest(\(events.map(\.id)), \(events.map(\.type.rawValue)), \(events.map(\.applicationId)),
                            \(events.map(\.subjectId)), \(events.map { $0.version ?? -1 }), \(payloads),
                            \(events.map { $0.requestId ?? "" }), \(events.map(\.occurredAt)))
                    AS e(id, event_type, application_id, subject_id, version, payload, request_id, occurred_at)
                RETURNING seq, event_type
            ),
            """ + self.routing + " SELECT 1"
        try await connection.query(insert.query(), logger: logger)
        try await self.wake(on: connection, logger: logger)
    }

    /// CTEs for a statement's `WITH` that append one `type` event per row of `rows` (a query
    /// yielding `application_id, subject_id, payload`, or with `versioned` `application_id,
    /// subject_id, version, payload`), for set-wise changes whose events should not pass through
    /// this process; `rows` may read the statement's earlier CTEs. Call `wake` after the statement.
    public func eventCTEs(_ type: EventType, rows: SQLFragment, versioned: Bool = false) -> SQLFragment {
        let columns: SQLFragment = versioned ? "application_id, subject_id, version, payload" : "application_id, subject_id, payload"
        let version: SQLFragment = versioned ? "r.version" : "NULL::bigint"
        return """
            outbox_new AS (
                INSERT INTO outbox_events (id, event_type, application_id, subject_id, version, payload, request_id, occurred_at)
                SELECT gen_random_uuid(), \(type.rawValue), r.application_id, r.subject_id, \(version), r.payload,
                    \(RequestMetadata.current?.requestID), now()
                FROM (\(rows)) AS r(\(columns))
                RETURNING seq, event_type
            ),
            """ + self.routing
    }

    /// Wakes the dispatcher when the transaction commits.
    public func wake(on connection: PostgresConnection, logger: Logger) async throws {
        try await NotificationHub.notify("outbox", schema: self.source.rawValue, on: connection, logger: logger)
    }

    /// `outbox_routed`: one delivery per subscriber of each row of `outbox_new`.
    private var routing: SQLFragment {
        let subscribers = self.routes.flatMap { route in route.eventTypes.map { _ in route.subscriber.rawValue } }
        let types = self.routes.flatMap { route in route.eventTypes.map(\.rawValue) }
        return """
            outbox_routed AS (
                INSERT INTO outbox_deliveries (subscriber, event_seq)
                SELECT r.subscriber, n.seq
                FROM outbox_new n
                JOIN unnest(\(subscribers)::text[], \(types)::text[]) AS r(subscriber, event_type) ON r.event_type = n.event_type
                RETURNING event_seq
            )
            """
    }
}
