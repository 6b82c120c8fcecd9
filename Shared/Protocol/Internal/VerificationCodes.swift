import Foundation

/// The verification service's internal API, used by users: issue a code (`POST
/// /internal/v1/verification-requests`) and check one (`POST
/// /internal/v1/verification-requests/check`).
///
/// A code is a 6-digit one-time code and a long link token at once. Neither ever appears in an
/// answer: verification hands them to the notification service, which delivers them.
public enum VerificationCodes {
    public static let issuePath = "/internal/v1/verification-requests"
    public static let checkPath = "/internal/v1/verification-requests/check"

    /// The longest link token accepted (a real one has 80 characters).
    public static let maxTokenLength = 200

    /// Whether `code` is shaped like a code: 6 ASCII digits.
    public static func isCode(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { (48...57).contains($0) }
    }

    /// The one answer to every refused code — wrong, expired, used, locked, superseded, or
    /// for an unknown email — in verification and in the users flows alike.
    public static let invalidCode = Problem(
        status: 422, code: "invalid_code", title: "Invalid code", detail: "The code is wrong, expired or already used; ask for a new one.")

    /// The kinds of verification (seed 001 names the first two).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Email verification at registration.
        case registration = "REGR"
        /// Password reset.
        case passwordReset = "RPWR"
        /// A new email address, confirmed before it replaces the old one.
        case emailChange = "EMCH"
        /// Phone number verification (by SMS).
        case phone = "PHON"
    }

    /// Issue a code to `destination` (an email address, or a phone number for `PHON`).
    public struct Issue: Codable, Sendable {
        public var applicationId: EntityID
        public var type: Kind
        public var userId: EntityID
        public var destination: String
        /// One request per key and application: a repeat answers the first (`replayed`).
        public var idempotencyKey: String
        /// Refuse (429) when a code of this type went to this destination within the cool-down.
        public var cooldown: Bool

        public init(applicationId: EntityID, type: Kind, userId: EntityID, destination: String, idempotencyKey: String, cooldown: Bool) {
            self.applicationId = applicationId
            self.type = type
            self.userId = userId
            self.destination = destination
            self.idempotencyKey = idempotencyKey
            self.cooldown = cooldown
        }
    }

    /// The request issued (202): its delivery is under way.
    public struct Issued: Codable, Sendable {
        public var id: EntityID
        public var type: Kind
        public var expiresAt: Date
        public var replayed: Bool

        public init(id: EntityID, type: Kind, expiresAt: Date, replayed: Bool) {
            self.id = id
            self.type = type
            self.expiresAt = expiresAt
            self.replayed = replayed
        }
    }

    /// Check and use a code: the 6-digit `code` of the user's latest request of `type`, or a link
    /// `token` (which names its request). A wrong code counts an attempt; the fifth locks the
    /// request. Every refusal is the same 422 `invalid_code`.
    public struct Check: Codable, Sendable {
        public var applicationId: EntityID
        public var type: Kind
        public var userId: EntityID?
        public var code: String?
        public var token: String?

        public init(applicationId: EntityID, type: Kind, userId: EntityID?, code: String?, token: String?) {
            self.applicationId = applicationId
            self.type = type
            self.userId = userId
            self.code = code
            self.token = token
        }
    }

    /// A code accepted (and used up): whose it was and where it was sent.
    public struct Checked: Codable, Sendable {
        public var requestId: EntityID
        public var userId: EntityID
        public var destination: String

        public init(requestId: EntityID, userId: EntityID, destination: String) {
            self.requestId = requestId
            self.userId = userId
            self.destination = destination
        }
    }
}
