import Foundation

/// A unit of asynchronous work (import, bulk update, recalculation, broadcast delivery).
///
/// Returned with `202 Accepted` by endpoints that start one; poll it for progress.
public struct Job: Codable, Sendable, Equatable {
    /// Where a job is in its life.
    public enum Status: String, Codable, Sendable {
        case queued, running, succeeded
        /// Out of attempts (dead-lettered); can be re-driven.
        case failed
    }

    /// How far a job has come; `total` is `nil` while unknown.
    public struct Progress: Codable, Sendable, Equatable {
        public var done: Int64
        public var total: Int64?

        public init(done: Int64, total: Int64?) {
            self.done = done
            self.total = total
        }
    }

    public var id: EntityID
    public var applicationId: EntityID?
    public var kind: String
    public var status: Status
    public var attempts: Int
    public var maxAttempts: Int
    public var progress: Progress
    public var payload: JSONValue
    public var result: JSONValue?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    public init(
        id: EntityID, applicationId: EntityID?, kind: String, status: Status, attempts: Int, maxAttempts: Int,
        progress: Progress, payload: JSONValue, result: JSONValue?, lastError: String?, createdAt: Date, updatedAt: Date,
        finishedAt: Date?
    ) {
        self.id = id
        self.applicationId = applicationId
        self.kind = kind
        self.status = status
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.progress = progress
        self.payload = payload
        self.result = result
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }
}

extension Job {
    /// The entity a job acts on: the id under `key` in its payload, with its application; `nil`
    /// when either is missing (a malformed payload).
    public func target(_ key: String) -> (id: EntityID, applicationID: EntityID)? {
        guard let applicationID = self.applicationId, let id = self.payload.objectField(key)?.stringValue.flatMap(EntityID.init) else {
            return nil
        }
        return (id, applicationID)
    }
}
