/// `POST /internal/v1/messages` on the notification service: send one templated message (a
/// verification code, a password reset) to a user or a raw address, by email or SMS.
///
/// Idempotent: a repeat with the same `idempotencyKey` in the application sends nothing more
/// and answers the first delivery. Variables are sealed at rest and appear in no response.
public enum NotificationMessages {
    public static let path = "/internal/v1/messages"

    /// How the message goes.
    public enum Channel: String, Codable, Sendable {
        case email, sms
    }

    public struct Request: Codable, Sendable {
        public var applicationId: EntityID
        public var channel: Channel
        /// A template code: `verification_code`, `password_reset`, `email_change` or the application's own.
        public var template: String
        /// The user it is for; their address is used unless `to` is given.
        public var userId: EntityID?
        /// An email address or phone number (e.g. a new address being confirmed).
        public var to: String?
        /// Template variables (`code`, `link`, `expiresInMinutes`, ...).
        public var variables: [String: JSONValue]
        /// At most 200 characters; one delivery per key and application.
        public var idempotencyKey: String

        public init(
            applicationId: EntityID, channel: Channel, template: String, userId: EntityID?, to: String?, variables: [String: JSONValue],
            idempotencyKey: String
        ) {
            self.applicationId = applicationId
            self.channel = channel
            self.template = template
            self.userId = userId
            self.to = to
            self.variables = variables
            self.idempotencyKey = idempotencyKey
        }
    }

    /// The answer (202): the delivery's id and state, as in `/api/v1/notifications/deliveries/{id}`.
    public struct Accepted: Codable, Sendable {
        public var id: EntityID
        public var status: String
        public var replayed: Bool

        public init(id: EntityID, status: String, replayed: Bool) {
            self.id = id
            self.status = status
            self.replayed = replayed
        }
    }
}

/// `GET /internal/v1/notification-settings?applicationId=&userId=` on the notification service:
/// a user's settings per type and channel, as `/api/v1/me/notification-settings` shows them
/// (the users service embeds them in `/api/v1/me/preferences`).
public enum NotificationSettingsLookup {
    public static func path(applicationID: EntityID, userID: EntityID) -> String {
        "/internal/v1/notification-settings?applicationId=\(applicationID)&userId=\(userID)"
    }
}
