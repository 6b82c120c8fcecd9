import Crypto
import Foundation
import RosterProtocol
import RosterRuntime

/// A request's two secrets: a 6-digit one-time code (typed) and a link token (clicked), and
/// their stored form.
///
/// Only HMAC-SHA256 values under a key derived from the service secret are stored, each bound
/// to its request: a plain hash of a 6-digit code would fall to a million guesses, a keyed
/// one does not without the key. Checks compare in constant time.
struct VerificationSecret: Sendable {
    let code: String
    /// `<request id>.<43 base64url characters>` (256 random bits): the id finds the request.
    let token: String

    /// Fresh secrets for the request `id`.
    static func generate(for id: EntityID) -> VerificationSecret {
        var generator = SystemRandomNumberGenerator()
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000, using: &generator))
        let secret = Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        return VerificationSecret(code: code, token: "\(id).\(secret)")
    }

    static func codeHash(_ code: String, requestID: EntityID, key: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("code:\(requestID):\(code)".utf8), using: key))
    }

    static func tokenHash(_ token: String, key: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("token:\(token)".utf8), using: key))
    }

    /// Whether `code` is the one whose hash is `stored` (constant time).
    static func codeMatches(_ code: String, requestID: EntityID, stored: Data, key: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(stored, authenticating: Data("code:\(requestID):\(code)".utf8), using: key)
    }

    /// Whether `token` is the one whose hash is `stored` (constant time).
    static func tokenMatches(_ token: String, stored: Data, key: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(stored, authenticating: Data("token:\(token)".utf8), using: key)
    }

    /// The request a link token names, or `nil` when it is not shaped like one.
    static func requestID(ofToken token: String) -> EntityID? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].utf8.count == 43 else { return nil }
        return EntityID(String(parts[0]))
    }
}
