import Foundation
import RosterProtocol
import RosterRuntime

/// One email, SMS or webhook delivery as clients see it (a job of the delivery queue).
struct Delivery: Encodable, Sendable, KeysetPageable {
    /// `queued` (waiting, or waiting to retry), `running`, `sent` (to the SMTP server, the
    /// receiver, or the dev mailbox), `skipped` (nothing to send, see `reason`), or `dead`
    /// (out of attempts; re-drive it).
    enum Status: String, Encodable, Sendable {
        case queued, running, sent, skipped, dead
    }

    var id: EntityID
    var channel: DeliveryChannel
    var status: Status
    var to: String?
    var userId: EntityID?
    var broadcastId: EntityID?
    var template: String?
    /// `smtp`, `mailbox` or `webhook` once sent.
    var via: String?
    var reason: String?
    var attempts: Int
    var maxAttempts: Int
    var lastError: String?
    var createdAt: Date
    var updatedAt: Date
    var finishedAt: Date?

    init?(_ job: Job) {
        guard let payload = DeliveryPayload(job.payload) else { return nil }
        var result: [String: JSONValue] = [:]
        if case .object(let object) = job.result { result = object }
        let outcome = result["outcome"]?.stringValue
        switch job.status {
        case .queued: self.status = .queued
        case .running: self.status = .running
        case .failed: self.status = .dead
        case .succeeded: self.status = outcome == "skipped" ? .skipped : .sent
        }
        self.id = job.id
        self.channel = payload.channel
        self.to = payload.to ?? result["to"]?.stringValue
        self.userId = payload.userID
        self.broadcastId = payload.broadcastID
        self.template = payload.template
        self.via = outcome == "mailbox" ? "mailbox" : outcome == "sent" ? (payload.channel == .webhook ? "webhook" : "smtp") : nil
        self.reason = result["reason"]?.stringValue
        self.attempts = job.attempts
        self.maxAttempts = job.maxAttempts
        self.lastError = job.lastError
        self.createdAt = job.createdAt
        self.updatedAt = job.updatedAt
        self.finishedAt = job.finishedAt
    }

    func sortValue(for field: String) -> String? {
        // Jobs keep microseconds (`now()`); a millisecond cursor would repeat or skip rows.
        field == "createdAt" ? RosterJSON.formatPreciseTimestamp(self.createdAt) : nil
    }
}
