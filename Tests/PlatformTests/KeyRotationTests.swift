import Crypto
import Foundation
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Signing keys rotate: a published successor signs, old keys verify until they expire.
@Suite(.serialized) struct KeyRotationTests {
    static func kid(of token: String) throws -> String {
        let header = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        return try #require((try JSONSerialization.jsonObject(with: header) as? [String: Any])?["kid"] as? String)
    }

    @Test func oldKeysVerifyUntilTheyExpire() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            try await accounts.register("lee@example.com")
            let first = try await accounts.login("lee@example.com")
            let oldKid = try Self.kid(of: first.accessToken)

            // A successor published two days ago becomes the signing key.
            let successor = Curve25519.Signing.PrivateKey()
            let hex = { (data: Data) in data.map { String(format: "%02x", $0) }.joined() }
            try platform.database.sql(
                """
                INSERT INTO users.signing_keys (kid, private_key, public_key, created_at, retire_after, expires_at)
                VALUES ('ed-successor', '\\x\(hex(successor.rawRepresentation))', '\\x\(hex(successor.publicKey.rawRepresentation))',
                        now() - interval '2 days', now() + interval '28 days', now() + interval '30 days')
                """)
            try await platform.process(.users).stop()
            try await platform.process(.users).startAndWait(http: platform.http)
            let second = try await accounts.login("lee@example.com")
            #expect(try Self.kid(of: second.accessToken) == "ed-successor")
            let jwks = try await platform.request(.GET, "\(accounts.base)/.well-known/jwks.json", authorized: false)
            #expect(Set((jwks.json["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String }) == [oldKid, "ed-successor"])
            for session in [first, second] {
                #expect(try await accounts.asUser(session, .GET, "/api/v1/me").status == 200)
                let audience = try await platform.request(
                    .GET, "\(platform.url(.audience))/api/v1/audience/users/\(session.userID)", headers: [session.bearer], authorized: false)
                #expect(audience.isProblem(403), "verified by audience (a user, not an admin)")
            }

            // Once the old key expires it leaves the JWKS, and its tokens stop verifying.
            try platform.database.sql("UPDATE users.signing_keys SET expires_at = now() - interval '1 second' WHERE kid = '\(oldKid)'")
            try await platform.process(.users).stop()
            try await platform.process(.users).startAndWait(http: platform.http)
            try await platform.process(.audience).stop()
            try await platform.process(.audience).startAndWait(http: platform.http)
            #expect(try await accounts.asUser(first, .GET, "/api/v1/me").isProblem(401))
            #expect(try await platform.request(
                .GET, "\(platform.url(.audience))/api/v1/audience/users/\(first.userID)", headers: [first.bearer], authorized: false
            ).isProblem(401))
            #expect(try await accounts.asUser(second, .GET, "/api/v1/me").status == 200)

            // A key that retires within a day gets its successor at the next check (here: the start).
            try platform.database.sql("UPDATE users.signing_keys SET retire_after = now() + interval '1 hour' WHERE kid = 'ed-successor'")
            try await platform.process(.users).stop()
            try await platform.process(.users).startAndWait(http: platform.http)
            #expect(try platform.database.count("SELECT count(*) FROM users.signing_keys WHERE retire_after > now() + interval '1 day'") == 1)
        }
    }
}
