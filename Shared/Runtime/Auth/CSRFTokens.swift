import Crypto
import Foundation
import RosterProtocol

/// CSRF tokens of browser sessions: an HMAC of the session id under a key derived from the
/// deployment's service secret.
///
/// Every service can check them locally (they all know the secret); they need no storage and
/// die with their session. Only requests authenticated by the session cookie need one.
public struct CSRFTokens: Sendable {
    private let key: SymmetricKey

    public init(serviceSecret: String) {
        self.key = SymmetricKey(data: SHA256.hash(data: Data(("roster-csrf:" + serviceSecret).utf8)))
    }

    /// The token of a session.
    public func token(for sessionID: EntityID) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(sessionID.description.utf8), using: self.key))
    }

    /// Whether `token` belongs to the session (constant-time).
    public func isValid(_ token: String, for sessionID: EntityID) -> Bool {
        guard let mac = Base64URL.decode(token) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(sessionID.description.utf8), using: self.key)
    }
}
