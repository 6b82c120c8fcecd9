import Foundation
import RosterProtocol
import RosterRuntime

/// How a sign-in hands out its tokens.
enum SignInMode: String, Decodable, Sendable {
    /// Tokens in the body (apps, servers).
    case tokens
    /// HttpOnly cookies (browsers); mutations then need `X-CSRF-Token`.
    case cookie
}

/// `POST /auth/login`: email or username (or `identifier`, either) and password.
struct SignInRequest: Decodable, Sendable {
    var email: String?
    var username: String?
    var identifier: String?
    var password: String
    var applicationId: EntityID?
    var mode: SignInMode?

    /// The account name given, or a 422 naming the missing field.
    func account() throws -> String {
        guard let value = self.email ?? self.username ?? self.identifier, !value.isEmpty, value.unicodeScalars.count <= 254 else {
            throw Problem.validation(
                "Give email, username or identifier.",
                errors: [.init(field: "email", code: "required", message: "email, username or identifier is required")])
        }
        return value
    }
}

/// `POST /auth/login/token`: user id and login token (seed 003).
struct TokenSignInRequest: Decodable, Sendable {
    var userId: EntityID
    var token: String
    var applicationId: EntityID?
    var mode: SignInMode?
}

/// `POST /auth/refresh`: the refresh token, unless it travels in the browser-mode cookie.
struct RefreshRequest: Decodable, Sendable {
    var refreshToken: String?
}

/// `POST /auth/register`: profile fields, a password, and the application (default: the default one).
struct RegisterRequest: Decodable, Sendable {
    var applicationId: EntityID?
    var fields: UserInput

    enum CodingKeys: String, CodingKey {
        case applicationId
    }

    init(from decoder: any Decoder) throws {
        self.applicationId = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(EntityID.self, forKey: .applicationId)
        self.fields = try UserInput(from: decoder)
    }
}

/// `POST /auth/validate`: a back-end checks a user's password, optionally telling the end
/// user's address (locks and limits then count against it rather than the key).
struct ValidateRequest: Decodable, Sendable {
    var email: String?
    var username: String?
    var identifier: String?
    var password: String
    var clientAddress: String?
}

/// `POST /auth/email-availability`.
struct EmailAvailabilityRequest: Decodable, Sendable {
    var email: String
    var applicationId: EntityID?
}

/// `POST /me/password`.
struct PasswordChangeRequest: Decodable, Sendable {
    var currentPassword: String
    var newPassword: String
}

/// Tokens of a sign-in or refresh in token mode.
struct TokenResponse: Encodable, Sendable {
    var tokenType = "Bearer"
    var accessToken: String
    var expiresIn: Int
    var refreshToken: String
    var refreshExpiresIn: Int
    var sessionId: EntityID
    var user: UserResponse
}

/// A sign-in or refresh in cookie mode: the tokens are in cookies, the CSRF token here.
struct CookieSessionResponse: Encodable, Sendable {
    var sessionId: EntityID
    var expiresIn: Int
    var csrfToken: String
    var user: UserResponse
}

/// `GET /auth/session` (seed 004 check auth / check login).
struct SessionCheckResponse: Encodable, Sendable {
    var isAuthenticated: Bool
    var applicationId: EntityID?
    var userId: EntityID?
    var username: String?
    var type: String?
    /// Agents, admins and API keys (seed 004 `is_staff`).
    var isStaff: Bool
    /// Administrators of the application: admin users and API keys.
    var isAdmin: Bool
    /// Superuser API keys, which also manage applications.
    var isSuperuser: Bool
    var sessionId: EntityID?

    static let anonymous = SessionCheckResponse(isAuthenticated: false, isStaff: false, isAdmin: false, isSuperuser: false)
}

/// `POST /auth/validate`.
struct ValidateResponse: Encodable, Sendable {
    var valid: Bool
    var userId: EntityID?
}

/// `POST /auth/email-availability`: the same shape for everyone; `userId` only for staff.
struct EmailAvailabilityResponse: Encodable, Sendable {
    var email: String
    var available: Bool
    var userId: EntityID?
}

/// `GET /auth/csrf`.
struct CSRFResponse: Encodable, Sendable {
    var csrfToken: String
}
