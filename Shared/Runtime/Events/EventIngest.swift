import Logging
import PostgresNIO
import RosterProtocol

/// What a service does with the events it receives.
public protocol EventConsumer: Sendable {
    /// The event types it applies; others are acknowledged and skipped.
    var eventTypes: Set<EventType> { get }
    /// Applies one new, in-order event inside the inbox transaction.
    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws
}

/// The consumer side of event delivery (`POST /internal/v1/events`).
///
/// A batch is taken in one transaction (one commit, one WAL flush), each event under its own
/// savepoint: the inbox row (dedupe by event id), the per-subject version check (stale
/// versions are skipped) and the consumer's change. An event that fails is rolled back to its
/// savepoint and left out of the answer, so the producer retries just that one. If the commit
/// fails, no event is acknowledged. Exactly-once effect on top of at-least-once delivery.
public struct EventIngest: Sendable {
    let client: PostgresClient
    let consumer: any EventConsumer
    let logger: Logger

    public init(client: PostgresClient, consumer: any EventConsumer, logger: Logger) {
        self.client = client
        self.consumer = consumer
        self.logger = logger
    }

    /// How one event was taken.
    public enum Disposition: String, Sendable {
        case applied, duplicate, stale, skipped
    }

    /// Takes a batch; the result lists every event that is durably done.
    public func receive(_ batch: EventBatch) async -> EventBatchResult {
        let logger = self.logger
        do {
            return try await self.client.withTransaction(logger: logger) { connection in
                var accepted: [EntityID] = []
                for event in batch.events {
                    try await connection.query("SAVEPOINT event", logger: logger)
                    do {
                        let disposition = try await self.take(event, on: connection)
                        try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                        logger.debug("event taken", metadata: ["event.id": "\(event.id)", "disposition": "\(disposition.rawValue)"])
                        accepted.append(event.id)
                    } catch {
                        try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                        logger.error(
                            "event not applied; the producer will retry it",
                            metadata: ["event.id": "\(event.id)", "event.type": "\(event.type)", "error": "\(String(reflecting: error))"])
                    }
                }
                return EventBatchResult(accepted: accepted)
            }
        } catch {
            logger.error("event batch not committed; the producer will retry it", metadata: ["error": "\(String(reflecting: error))"])
            return EventBatchResult(accepted: [])
        }
    }

    func take(_ event: EventEnvelope, on connection: PostgresConnection) async throws -> Disposition {
        let inserted = try await connection.query(
            """
            INSERT INTO inbox_events (event_id, source, event_type) VALUES (\(event.id), \(event.source), \(event.type.rawValue))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """, logger: self.logger
        ).collect()
        guard !inserted.isEmpty else { return .duplicate }
        if let version = event.version {
            let newer = try await connection.query(
                """
                INSERT INTO inbox_versions (source, subject_id, version) VALUES (\(event.source), \(event.subjectId), \(version))
                ON CONFLICT (source, subject_id) DO UPDATE SET version = EXCLUDED.version
                WHERE inbox_versions.version < EXCLUDED.version
                RETURNING version
                """, logger: self.logger
            ).collect()
            guard !newer.isEmpty else { return .stale }
        }
        guard self.consumer.eventTypes.contains(event.type) else { return .skipped }
        try await self.consumer.apply(event, on: connection, logger: self.logger)
        return .applied
    }
}
