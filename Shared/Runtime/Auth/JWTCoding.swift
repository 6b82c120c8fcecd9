import Foundation
import JWTKit

/// How Roster writes JWTs: `iat`/`exp` as whole seconds (RFC 7519 NumericDate), which every
/// JWT library reads; jwt-kit's default writes fractions.
enum JWTCoding {
    static var serializer: DefaultJWTSerializer {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .integerSecondsSince1970
        return DefaultJWTSerializer(jsonEncoder: encoder)
    }
}

extension JWTKeyCollection {
    /// Adds a signing key that writes whole-second dates.
    @discardableResult
    public func addSigning(eddsa key: EdDSA.PrivateKey, kid: JWKIdentifier) -> Self {
        self.add(eddsa: key, kid: kid, serializer: JWTCoding.serializer)
    }
}
