import Crypto
import Foundation
import RosterRuntime

/// Random opaque secrets (refresh tokens, login tokens) and their stored form.
///
/// Only the SHA-256 of a secret is stored; with 256 (refresh) or 160 (login token) random
/// bits a fast hash is safe, and lookups by hash stay index scans.
enum SecretToken {
    /// A refresh token: `rt_` and 43 base64url characters (256 bits).
    static func refreshToken() -> String {
        "rt_" + Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// A seed-003 login token: 40 hex digits (160 bits).
    static func loginToken() -> String {
        SymmetricKey(size: .init(bitCount: 160)).withUnsafeBytes { Hex.encode($0) }
    }

    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Constant-time comparison of a secret with a stored hash.
    static func matches(_ secret: String, hash: Data) -> Bool {
        SHA256.hash(data: Data(secret.utf8)) == hash
    }
}
