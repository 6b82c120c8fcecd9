import Crypto
import Foundation

/// The text form of an API key: `rk_<prefix>_<secret>`.
///
/// The 8-character prefix is stored in clear to find the key and to show which key is which;
/// the whole key is stored only as its SHA-256 hash. Keys carry 190+ bits of randomness, so
/// a fast hash is safe (a slow one like bcrypt is for low-entropy passwords).
struct APIKeySecret: Sendable {
    let prefix: String
    let text: String

    static let prefixLength = 8
    static let secretLength = 32
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A new random key.
    static func generate() -> APIKeySecret {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> String {
            String((0..<count).map { _ in Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &generator)] })
        }
        let prefix = random(Self.prefixLength)
        return APIKeySecret(prefix: prefix, text: "rk_\(prefix)_\(random(Self.secretLength))")
    }

    /// Parses a key a client sent; `nil` when it does not have the shape of one.
    init?(parsing text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "rk", parts[1].count == Self.prefixLength, parts[2].count == Self.secretLength,
            (parts[1] + parts[2]).allSatisfy({ Self.alphabet.contains($0) })
        else { return nil }
        self.prefix = String(parts[1])
        self.text = text
    }

    private init(prefix: String, text: String) {
        self.prefix = prefix
        self.text = text
    }

    /// The stored form.
    var hash: Data { Data(SHA256.hash(data: Data(self.text.utf8))) }

    /// Constant-time check against a stored hash.
    func matches(storedHash: Data) -> Bool {
        SHA256.hash(data: Data(self.text.utf8)) == storedHash
    }
}
