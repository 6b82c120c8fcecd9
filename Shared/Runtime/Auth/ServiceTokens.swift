import Foundation
import JWTKit
import RosterProtocol

/// Short-lived HS256 tokens that services attach to `/internal/*` calls, signed with the
/// deployment's `service.secret`; every `/internal/*` route requires one.
public actor ServiceTokens {
    /// Claims of a service token: which service calls, for whom, until when.
    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try self.exp.verifyNotExpired()
            try self.aud.verifyIntendedAudience(includes: ServiceTokens.audience)
        }
    }

    static let audience = "roster-internal"
    static let lifetime: TimeInterval = 300

    private let keys = JWTKeyCollection()
    private let service: ServiceName
    private var cached: (token: String, expires: Date)?

    public init(secret: String, service: ServiceName) async {
        self.service = service
        await self.keys.add(
            hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256, kid: "service", serializer: JWTCoding.serializer)
    }

    /// A valid token for this service's outgoing calls (reused until a minute before it expires).
    public func token() async throws -> String {
        let now = Date()
        if let cached, cached.expires.timeIntervalSince(now) > 60 { return cached.token }
        let expires = now.addingTimeInterval(Self.lifetime)
        let claims = Claims(
            iss: IssuerClaim(value: self.service.rawValue), aud: AudienceClaim(value: Self.audience),
            iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: expires))
        let token = try await self.keys.sign(claims, kid: "service")
        self.cached = (token, expires)
        return token
    }

    /// The calling service's name if `token` is a valid service token; `nil` otherwise.
    public func verify(_ token: String) async -> String? {
        guard let claims = try? await self.keys.verify(token, as: Claims.self) else { return nil }
        return claims.iss.value
    }
}
