import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The delivery queue as clients see it: delivery jobs listed, read and re-driven, and direct
/// messages (verification's) queued.
struct DeliveryRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    let keys: SealingKeys
    /// Attempts before a delivery is dead-lettered (`notification.deliveryAttempts`).
    let maxAttempts: Int

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: [
            "status": .choice(["queued", "running", "sent", "skipped", "dead"]),
            "channel": .choice(DeliveryChannel.allCases.map(\.rawValue)),
            "broadcastId": .id,
        ])

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Delivery> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)", "kind = \(DeliveryJob.kind)"]
        if case .string(let status) = query.filter("status") {
            switch status {
            case "sent": conditions += ["status = 'succeeded'", "result ->> 'outcome' <> 'skipped'"]
            case "skipped": conditions += ["status = 'succeeded'", "result ->> 'outcome' = 'skipped'"]
            case "dead": conditions.append("status = 'failed'")
            default: conditions.append("status = \(status)")
            }
        }
        if case .string(let channel) = query.filter("channel") { conditions.append("payload ->> 'channel' = \(channel)") }
        if case .id(let broadcast) = query.filter("broadcastId") { conditions.append("payload ->> 'broadcastId' = \(broadcast.description)") }
        return try await query.load(
            JobQueue.columns, from: "jobs", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: { try await JobQueue.decode($0).compactMap(Delivery.init) })
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Delivery? {
        guard let job = try await self.jobs.job(id, applicationID: applicationID, logger: logger), job.kind == DeliveryJob.kind else {
            return nil
        }
        return Delivery(job)
    }

    /// A dead delivery back in the queue with fresh attempts; `nil` when there is no dead delivery `id`.
    func redrive(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Delivery? {
        try await self.jobs.redrive(id, applicationID: applicationID, kind: DeliveryJob.kind, logger: logger).flatMap(Delivery.init)
    }

    /// Queues a direct message; a repeat with the same idempotency key answers the first
    /// delivery (`replayed`) and sends nothing more.
    func enqueue(_ message: NotificationMessages.Request, logger: Logger) async throws -> (Delivery, replayed: Bool) {
        let messageID = EntityID.generate()
        let sealed = try self.keys.sealJSON(
            .object(message.variables),
            context: DeliveryPayload.sealingContext(applicationID: message.applicationId, messageID: messageID))
        let payload = DeliveryPayload(
            channel: message.channel == .sms ? .sms : .email, userID: message.userId, to: message.to, template: message.template,
            sealedVariables: sealed, messageID: messageID)
        // Own namespace: a caller's key can never match a broadcast delivery's (`<broadcast>/<user>/<channel>`).
        let job = try await self.jobs.enqueue(
            kind: DeliveryJob.kind, applicationID: message.applicationId, payload: payload.json,
            idempotencyKey: "message/" + message.idempotencyKey, maxAttempts: self.maxAttempts, logger: logger)
        guard let delivery = Delivery(job) else { throw JobQueueError.notStored }
        return (delivery, DeliveryPayload(job.payload)?.messageID != messageID)
    }
}
