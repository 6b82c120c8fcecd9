import Crypto
import Foundation
import JWTKit
import Logging
import RosterProtocol
import RosterRuntime

/// Signs access JWTs (EdDSA) with the current signing key from the database.
///
/// The key is re-read every few minutes, so every replica moves to a successor key soon after
/// it becomes the signing key; tokens signed with the previous key keep verifying until it
/// expires (it stays in the JWKS).
actor AccessTokenSigner {
    private let repository: SigningKeyRepository
    private let lifetime: Int
    private let logger: Logger
    private var current: (kid: String, keys: JWTKeyCollection, loadedAt: Date)?
    static let reload: TimeInterval = 300

    init(repository: SigningKeyRepository, lifetimeSeconds: Int, logger: Logger) {
        self.repository = repository
        self.lifetime = lifetimeSeconds
        self.logger = logger
    }

    /// Loads the signing key now, so a later `sign` cannot fail on the database (call it before
    /// committing anything that the token is meant to go with).
    func prepare() async throws {
        _ = try await self.signingKeys()
    }

    /// A signed access token for the user, and its lifetime in seconds.
    func sign(userID: EntityID, applicationID: EntityID, role: String, sessionID: EntityID?) async throws -> (token: String, expiresIn: Int) {
        let (kid, keys) = try await self.signingKeys()
        let now = Date()
        let claims = AccessTokenClaims(
            userID: userID.description, applicationID: applicationID.description, role: role, sessionID: sessionID?.description,
            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(self.lifetime)))
        return (try await keys.sign(claims, kid: JWKIdentifier(string: kid)), self.lifetime)
    }

    private func signingKeys() async throws -> (String, JWTKeyCollection) {
        if let current, Date().timeIntervalSince(current.loadedAt) < Self.reload { return (current.kid, current.keys) }
        guard let (kid, privateKey) = try await self.repository.signingKey(logger: self.logger) else {
            throw Problem.unavailable("No signing key is available yet; retry shortly.")
        }
        let keys = JWTKeyCollection()
        await keys.addSigning(
            eddsa: EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)), kid: JWKIdentifier(string: kid))
        self.current = (kid, keys, Date())
        return (kid, keys)
    }
}
