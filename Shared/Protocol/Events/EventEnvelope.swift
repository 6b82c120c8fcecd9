import Foundation

/// One event as it travels from a producer's outbox to a subscriber's inbox.
///
/// `version` orders events about one subject (a user): a consumer that has already
/// applied a higher version ignores a lower one, so redelivery and reordering are harmless.
public struct EventEnvelope: Codable, Sendable, Equatable {
    public var id: EntityID
    public var type: EventType
    /// The producing service, e.g. `users`.
    public var source: String
    public var applicationId: EntityID
    /// The entity the event is about (for `user.*` events, the user).
    public var subjectId: EntityID
    /// Per-subject version; `nil` for events that carry no ordering (e.g. activity pings).
    public var version: Int64?
    public var occurredAt: Date
    /// The request that caused the event, for tracing across services.
    public var requestId: String?
    public var payload: JSONValue

    public init(
        id: EntityID, type: EventType, source: String, applicationId: EntityID, subjectId: EntityID,
        version: Int64?, occurredAt: Date, requestId: String?, payload: JSONValue
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.applicationId = applicationId
        self.subjectId = subjectId
        self.version = version
        self.occurredAt = occurredAt
        self.requestId = requestId
        self.payload = payload
    }

    /// Decodes the payload as the type its event type carries.
    public func decodePayload<Payload: Decodable>(as type: Payload.Type) throws -> Payload {
        let data = try RosterJSON.makeEncoder().encode(self.payload)
        return try RosterJSON.makeDecoder().decode(Payload.self, from: data)
    }
}

/// The name of an event type (`user.created`); open-ended so consumers can skip unknown ones.
public struct EventType: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { self.rawValue }

    public static let userCreated: EventType = "user.created"
    public static let userUpdated: EventType = "user.updated"
    public static let userDeleted: EventType = "user.deleted"
    public static let userActivity: EventType = "user.activity"
    public static let membershipChanged: EventType = "audience.membership_changed"
}

/// The body a producer posts to a subscriber's `POST /internal/v1/events`.
public struct EventBatch: Codable, Sendable {
    public var events: [EventEnvelope]

    public init(events: [EventEnvelope]) { self.events = events }
}

/// A subscriber's answer to an `EventBatch`: which events it has durably taken.
///
/// Events listed in `accepted` (applied, or recognised as duplicates or stale) are done;
/// the producer retries every other event of the batch later.
public struct EventBatchResult: Codable, Sendable {
    public var accepted: [EntityID]

    public init(accepted: [EntityID]) { self.accepted = accepted }
}
