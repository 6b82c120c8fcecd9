import Foundation
import RosterProtocol
import RosterRuntime

/// `POST /users/{id}/ban`.
struct BanRequest: Decodable, Sendable {
    var reason: String
}

/// `GET /users/{id}/status` (seed 004 user status).
struct UserStatusResponse: Encodable, Sendable {
    var status: String
    var banReason: String?
    var joinedAt: Date
    var lastLoginAt: Date?
    var lastActivityAt: Date?
}

/// `POST /users/{id}/force-logout`.
struct ForceLogoutResponse: Encodable, Sendable {
    var revokedSessions: Int
}

/// `POST /users/{id}/login-token`: the new token, shown this once.
struct LoginTokenResponse: Encodable, Sendable {
    var userId: EntityID
    var token: String
}

/// `POST /api-keys`.
struct CreateAPIKeyRequest: Decodable, Sendable {
    var name: String
}

/// A new API key with its secret, shown this once.
struct CreatedAPIKey: Encodable, Sendable {
    var id: EntityID
    var name: String
    var prefix: String
    var scope: String
    var createdAt: Date
    var key: String
}

/// `POST /applications` and `PATCH /applications/{id}`.
struct ApplicationInput: Decodable, Sendable {
    var name: String?
    var status: String?
}

/// A new application and its first admin key (shown this once).
struct CreatedApplication: Encodable, Sendable {
    var application: ApplicationRepository.Record
    var apiKey: CreatedAPIKey
}
