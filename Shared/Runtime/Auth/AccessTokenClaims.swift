import Foundation
import JWTKit

/// The claims of a user's access JWT, signed by the users service (EdDSA) and verified
/// locally by every service against the users service's JWKS.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public static let issuer = "roster-users"
    public static let audience = "roster"

    /// The user id.
    public var sub: SubjectClaim
    /// The application (tenant) id.
    public var app: String
    /// The user's type (`admin`, `user`, `agent`, ...).
    public var role: String
    /// The session the token was issued for, when it came from a sign-in.
    public var sid: String?
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(userID: String, applicationID: String, role: String, sessionID: String?, issuedAt: Date, expiresAt: Date) {
        self.sub = SubjectClaim(value: userID)
        self.app = applicationID
        self.role = role
        self.sid = sessionID
        self.iss = IssuerClaim(value: Self.issuer)
        self.aud = AudienceClaim(value: Self.audience)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: expiresAt)
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try self.exp.verifyNotExpired()
        try self.aud.verifyIntendedAudience(includes: Self.audience)
        guard self.iss.value == Self.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: self.iss, reason: "unexpected issuer")
        }
    }
}
