import Crypto
import Foundation
import JWTKit
import Logging
import PostgresNIO
import RosterRuntime

/// The Ed25519 keys that sign access JWTs, kept in the database so every replica signs
/// with the same keys and publishes the same JWKS.
struct SigningKeyRepository: Sendable {
    let client: PostgresClient
    /// How long a key signs new tokens.
    static let signingLifetime: TimeInterval = 30 * 86_400
    /// How long a retired key still verifies (longer than any token lives).
    static let verifyGrace: TimeInterval = 2 * 86_400
    /// A successor is created this long before the current key retires, so it is in every
    /// cached JWKS before it signs anything.
    static let successorLead: TimeInterval = 86_400

    /// Makes sure a key exists that may sign for at least another day (one replica creates it;
    /// the others wait on the lock and find it). Run at start and then hourly.
    func ensureActiveKey(logger: Logger) async throws {
        try await self.client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('roster.users.signing_keys'))", logger: logger)
            let current = try await connection.query(
                "SELECT kid FROM signing_keys WHERE retire_after > now() + make_interval(secs => \(Self.successorLead))",
                logger: logger
            ).collect()
            guard current.isEmpty else { return }
            let key = Curve25519.Signing.PrivateKey()
            let kid = "ed-" + String(UUID().uuidString.prefix(8)).lowercased()
            let now = Date()
            let retireAfter = now.addingTimeInterval(Self.signingLifetime)
            try await connection.query(
                """
                INSERT INTO signing_keys (kid, private_key, public_key, retire_after, expires_at)
                VALUES (\(kid), \(key.rawRepresentation), \(key.publicKey.rawRepresentation),
                        \(retireAfter), \(retireAfter.addingTimeInterval(Self.verifyGrace)))
                """, logger: logger)
            logger.info("created a signing key", metadata: ["kid": "\(kid)"])
        }
    }

    /// The key to sign with now: the newest key that has been published for at least
    /// `successorLead` (so every cached JWKS has it), else the newest key.
    func signingKey(logger: Logger) async throws -> (kid: String, privateKey: Data)? {
        let rows = try await self.client.query(
            """
            SELECT kid, private_key FROM signing_keys WHERE retire_after > now()
            ORDER BY created_at <= now() - make_interval(secs => \(Self.successorLead)) DESC, created_at DESC LIMIT 1
            """, logger: logger)
        for try await (kid, privateKey) in rows.decode((String, Data).self) { return (kid, privateKey) }
        return nil
    }

    /// The public keys that still verify, as a JWKS.
    func publicKeys(logger: Logger) async throws -> JWKS {
        var keys: [JWK] = []
        let rows = try await self.client.query(
            "SELECT kid, public_key FROM signing_keys WHERE expires_at > now() ORDER BY created_at DESC", logger: logger)
        for try await (kid, publicKey) in rows.decode((String, Data).self) {
            keys.append(
                JWK.octetKeyPair(.eddsa, identifier: JWKIdentifier(string: kid), x: Base64URL.encode(publicKey), y: nil, curve: .ed25519))
        }
        return JWKS(keys: keys)
    }
}

/// The users service verifies its own tokens from its own table.
struct LocalJWKSSource: JWKSSource {
    let repository: SigningKeyRepository
    let logger: Logger

    func fetchJWKS() async throws -> JWKS {
        try await self.repository.publicKeys(logger: self.logger)
    }
}
