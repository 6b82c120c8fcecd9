import Logging
import PostgresNIO
import RosterProtocol

/// What a service does with the events it receives.
public protocol EventConsumer: Sendable {
    /// The event types it applies; others are acknowledged and skipped.
    var eventTypes: Set<EventType> { get }
    /// Applies one new, in-order event inside the inbox transaction. The transaction may be
    /// rolled back and the event applied again (see `EventIngest`), so every change goes through
    /// `connection`, and a database error is rethrown, never caught and carried on from.
    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws
}

/// The consumer side of event delivery (`POST /internal/v1/events`).
///
/// A batch is taken in one transaction (one commit, one WAL flush): for each event the inbox
/// row (dedupe by event id) and the per-subject version check (stale versions are skipped) in
/// one statement, then the consumer's change. Nearly every batch applies whole, so it is first
/// tried without savepoints; if any event fails, the attempt is rolled back and the batch taken
/// again with each event under its own savepoint, where an event that fails is rolled back to
/// it and left out of the answer, so the producer retries just that one. If the commit fails,
/// no event is acknowledged. Exactly-once effect on top of at-least-once delivery.
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
        do {
            let taken = try await self.client.withTransaction(logger: self.logger) { connection in
                var taken: [(EntityID, Disposition)] = []
                for event in batch.events { taken.append((event.id, try await self.take(event, on: connection))) }
                // Fails if a statement failed unseen (PostgreSQL would turn the commit into a rollback).
                try await connection.query("SELECT 1", logger: self.logger)
                return taken
            }
            return self.acknowledge(taken)
        } catch let error as PostgresTransactionError where error.closureError != nil {
            self.logger.debug(
                "event batch not taken whole; taking it event by event", metadata: ["error": "\(String(reflecting: error))"])
            return await self.receiveEventByEvent(batch)
        } catch {
            return self.notCommitted(error)
        }
    }

    /// Takes a batch with a savepoint around each event: the events that fail are left out.
    private func receiveEventByEvent(_ batch: EventBatch) async -> EventBatchResult {
        let logger = self.logger
        do {
            let taken = try await self.client.withTransaction(logger: logger) { connection in
                var taken: [(EntityID, Disposition)] = []
                for event in batch.events {
                    try await connection.query("SAVEPOINT event", logger: logger)
                    do {
                        let disposition = try await self.take(event, on: connection)
                        try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                        taken.append((event.id, disposition))
                    } catch {
                        try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                        logger.error(
                            "event not applied; the producer will retry it",
                            metadata: ["event.id": "\(event.id)", "event.type": "\(event.type)", "error": "\(String(reflecting: error))"])
                    }
                }
                return taken
            }
            return self.acknowledge(taken)
        } catch {
            return self.notCommitted(error)
        }
    }

    /// The answer for events taken in a committed transaction.
    private func acknowledge(_ taken: [(EntityID, Disposition)]) -> EventBatchResult {
        for (id, disposition) in taken {
            self.logger.debug("event taken", metadata: ["event.id": "\(id)", "disposition": "\(disposition.rawValue)"])
        }
        return EventBatchResult(accepted: taken.map(\.0))
    }

    /// The answer when the batch's transaction did not commit: nothing is acknowledged.
    private func notCommitted(_ error: any Error) -> EventBatchResult {
        self.logger.error("event batch not committed; the producer will retry it", metadata: ["error": "\(String(reflecting: error))"])
        return EventBatchResult(accepted: [])
    }

    /// Records the event in the inbox and applies it if it is new and not stale.
    func take(_ event: EventEnvelope, on connection: PostgresConnection) async throws -> Disposition {
        let disposition = try await self.admit(event, on: connection)
        if disposition == .applied { try await self.consumer.apply(event, on: connection, logger: self.logger) }
        return disposition
    }

    /// The inbox row and, for a versioned event, the subject's version, in one statement: the
    /// version moves only for an event the inbox had not seen, and only forward.
    private func admit(_ event: EventEnvelope, on connection: PostgresConnection) async throws -> Disposition {
        let inbox: SQLFragment = """
            INSERT INTO inbox_events (event_id, source, event_type) VALUES (\(event.id), \(event.source), \(event.type.rawValue))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """
        let (new, current): (Bool, Bool)
        if let version = event.version {
            let admit: SQLFragment = "WITH inbox AS (" + inbox + """
                ), versions AS (
                    INSERT INTO inbox_versions (source, subject_id, version)
                    SELECT \(event.source), \(event.subjectId), \(version) WHERE EXISTS (SELECT 1 FROM inbox)
                    ON CONFLICT (source, subject_id) DO UPDATE SET version = EXCLUDED.version
                    WHERE inbox_versions.version < EXCLUDED.version
                    RETURNING version)
                SELECT EXISTS (SELECT 1 FROM inbox), EXISTS (SELECT 1 FROM versions)
                """
            (new, current) = try await connection.query(admit.query(), logger: self.logger).decode((Bool, Bool).self)
                .first(where: { _ in true }) ?? (false, false)
        } else {
            new = try await !connection.query(inbox.query(), logger: self.logger).collect().isEmpty
            current = true
        }
        guard new else { return .duplicate }
        guard current else { return .stale }
        return self.consumer.eventTypes.contains(event.type) ? .applied : .skipped
    }
}
