import Foundation
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// A verification request as admins see it (seed 001's list) — never with its code: only the
/// delivery channel ever sees that.
struct VerificationRequest: Codable, Sendable, KeysetPageable {
    var id: EntityID
    var requestTypeCode: VerificationCodes.Kind
    var requestTypeName: String
    var userId: EntityID
    var username: String?
    var email: String?
    /// Where the code went: the user's email, a new address being confirmed, or a phone number.
    var destination: String
    var channel: NotificationMessages.Channel
    /// `active`, `used`, `locked` (5 wrong codes), `superseded` (a newer request) or `expired`.
    var status: String
    var isActive: Bool
    var attempts: Int
    var expiresAt: Date
    var createdAt: Date
    var usedAt: Date?
    /// When notification accepted the message; `null` while the hand-over is pending.
    var sentAt: Date?

    func sortValue(for field: String) -> String? {
        switch field {
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "expiresAt": RosterJSON.formatTimestamp(self.expiresAt)
        case "requestTypeCode": self.requestTypeCode.rawValue
        case "requestTypeName": self.requestTypeName
        case "username": self.username
        case "email": self.email
        case "attempts": String(self.attempts)
        default: nil
        }
    }

    /// The columns `init(row:)` reads; an active request past its expiry reads as `expired`.
    static let columns: SQLFragment = """
        id, type_code, type_name, user_id, username, email, destination, channel,
        CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END,
        attempts, expires_at, created_at, used_at, sent_at
        """

    init(row: PostgresRow) throws {
        let (id, type, name, user, username, email, destination, channel, status, attempts, expires, created, used, sent) = try row.decode(
            (EntityID, String, String, EntityID, String?, String?, String, String, String, Int, Date, Date, Date?, Date?).self)
        self.id = id
        self.requestTypeCode = VerificationCodes.Kind(rawValue: type) ?? .registration
        self.requestTypeName = name
        self.userId = user
        self.username = username
        self.email = email
        self.destination = destination
        self.channel = NotificationMessages.Channel(rawValue: channel) ?? .email
        self.status = status
        self.isActive = status == "active"
        self.attempts = attempts
        self.expiresAt = expires
        self.createdAt = created
        self.usedAt = used
        self.sentAt = sent
    }
}
