import Crypto
import Foundation
import RosterRuntime

/// How webhook requests are signed, so receivers can check them:
/// `X-Roster-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the Unix
/// time in `X-Roster-Timestamp`; receivers should also refuse old timestamps (replays).
enum WebhookSignature {
    static let signatureHeader = "X-Roster-Signature"
    static let timestampHeader = "X-Roster-Timestamp"
    static let deliveryHeader = "X-Roster-Delivery"

    static func sign(body: Data, timestamp: Int, secret: String) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Hex.encode(mac)
    }

    /// A fresh secret: `whsec_` and 32 random bytes in hex.
    static func newSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Hex.encode($0) }
    }
}
