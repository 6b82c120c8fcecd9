import Foundation
import Logging
import Metrics
import PostgresNIO
import RosterProtocol
import ServiceLifecycle

/// Sends outbox events to each subscriber in batches until they are acknowledged.
///
/// One loop per subscriber, so a subscriber that is down delays only itself. A batch is
/// claimed with `FOR UPDATE SKIP LOCKED` and held while it is sent, so across replicas each
/// event is in flight at most once at a time. Unacknowledged events are retried with
/// exponential backoff and jitter; nothing is dropped.
public final class OutboxDispatcher: Service {
    private let client: PostgresClient
    private let outbox: Outbox
    private let internalClient: InternalClient
    private let hub: NotificationHub
    private let startup: StartupGate
    private let batchSize: Int
    private let maxBackoffSeconds: Int
    private let logger: Logger

    public init(
        client: PostgresClient, outbox: Outbox, internalClient: InternalClient, hub: NotificationHub, startup: StartupGate,
        batchSize: Int, maxBackoffSeconds: Int, logger: Logger
    ) {
        self.client = client
        self.outbox = outbox
        self.internalClient = internalClient
        self.hub = hub
        self.startup = startup
        self.batchSize = batchSize
        self.maxBackoffSeconds = maxBackoffSeconds
        self.logger = logger
    }

    public func run() async throws {
        let subscribers = Set(self.outbox.routes.map(\.subscriber))
        guard !subscribers.isEmpty else { return try await gracefulShutdown() }
        try await self.startup.wait()
        await withTaskGroup(of: Void.self) { group in
            for subscriber in subscribers {
                group.addTask { await self.loop(subscriber) }
            }
        }
    }

    private func loop(_ subscriber: ServiceName) async {
        let delivered = Counter(label: "roster_outbox_delivered_total", dimensions: [("subscriber", subscriber.rawValue)])
        let refused = Counter(label: "roster_outbox_refused_total", dimensions: [("subscriber", subscriber.rawValue)])
        let clock = ContinuousClock()
        var outages = 0
        var retryAt = clock.now
        for await _ in self.hub.signals(for: "outbox").cancelOnGracefulShutdown() {
            guard clock.now >= retryAt else { continue }
            do {
                while !Task.isShuttingDownGracefully, !Task.isCancelled {
                    let outcome = try await self.dispatchBatch(to: subscriber)
                    if outcome.unreachable {
                        // The subscriber is down: retry the subscriber soon, without spending the events' attempts.
                        outages += 1
                        retryAt = clock.now + .milliseconds(min(5000, 250 << min(outages, 5)))
                        break
                    }
                    outages = 0
                    delivered.increment(by: outcome.delivered)
                    refused.increment(by: outcome.claimed - outcome.delivered)
                    if outcome.claimed < self.batchSize || outcome.delivered < outcome.claimed { break }
                }
            } catch {
                self.logger.warning(
                    "outbox dispatch failed", metadata: ["subscriber": "\(subscriber.rawValue)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Claims, sends and settles one batch: how many events it claimed and delivered, and
    /// whether the subscriber could not be reached at all (then nothing is settled).
    func dispatchBatch(to subscriber: ServiceName) async throws -> (claimed: Int, delivered: Int, unreachable: Bool) {
        let logger = self.logger
        let name = subscriber.rawValue
        return try await self.client.withTransaction(logger: logger) { connection in
            var sequences: [Int64] = []
            var events: [EventEnvelope] = []
            let rows = try await connection.query(
                """
                SELECT d.event_seq, e.id, e.event_type, e.application_id, e.subject_id, e.version, e.payload, e.request_id, e.occurred_at
                FROM outbox_deliveries d JOIN outbox_events e ON e.seq = d.event_seq
                WHERE d.subscriber = \(name) AND d.next_attempt_at <= now()
                ORDER BY d.event_seq
                LIMIT \(self.batchSize)
                FOR UPDATE OF d SKIP LOCKED
                """, logger: logger)
            for try await (seq, id, type, application, subject, version, payload, requestID, occurredAt) in rows.decode(
                (Int64, EntityID, String, EntityID, EntityID, Int64?, JSONValue, String?, Date).self)
            {
                sequences.append(seq)
                events.append(
                    EventEnvelope(
                        id: id, type: EventType(rawValue: type), source: self.outbox.source.rawValue, applicationId: application,
                        subjectId: subject, version: version, occurredAt: occurredAt, requestId: requestID, payload: payload))
            }
            guard !events.isEmpty else { return (0, 0, false) }

            let accepted: Set<EntityID>
            var failure = ""
            let logger = logger
            do {
                let result = try await self.internalClient.call(
                    subscriber, .POST, "/internal/v1/events", body: EventBatch(events: events), idempotent: true, retries: 0,
                    as: EventBatchResult.self)
                accepted = Set(result.accepted)
                if accepted.count < events.count { failure = "subscriber did not accept every event" }
            } catch {
                // Down, misconfigured (401, 404) or failing (5xx): a subscriber-level condition;
                // retry the subscriber without spending the events' attempts.
                logger.debug("subscriber did not take the batch", metadata: ["subscriber": "\(name)", "error": "\(error)"])
                return (events.count, 0, true)
            }
            let done = zip(sequences, events).filter { accepted.contains($0.1.id) }.map(\.0)
            let pending = zip(sequences, events).filter { !accepted.contains($0.1.id) }.map(\.0)
            if !done.isEmpty {
                try await connection.query(
                    "DELETE FROM outbox_deliveries WHERE subscriber = \(name) AND event_seq = ANY(\(done))", logger: logger)
                try await connection.query(
                    """
                    DELETE FROM outbox_events e
                    WHERE e.seq = ANY(\(done)) AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_seq = e.seq)
                    """, logger: logger)
            }
            if !pending.isEmpty {
                logger.info(
                    "events not delivered; will retry",
                    metadata: ["subscriber": "\(name)", "count": "\(pending.count)", "reason": "\(failure)"])
                try await connection.query(
                    """
                    UPDATE outbox_deliveries
                    SET attempts = attempts + 1,
                        last_error = \(String(failure.prefix(500))),
                        next_attempt_at = now() + make_interval(secs => least(\(Double(self.maxBackoffSeconds)), power(2, least(attempts, 30))) * (0.5 + random() / 2))
                    WHERE subscriber = \(name) AND event_seq = ANY(\(pending))
                    """, logger: logger)
            }
            return (events.count, done.count, false)
        }
    }
}
